"""The claim detector's cues, as data: named, compiled patterns grouped by what they signal.

Every pattern runs on normalised sentence text (``detect.normalise``): lower case, straight
quotes, ``-`` for dashes, single spaces, list markers and leading emoji removed. A cue's name
(``group.name``) is what ``SentenceVerdict.cues`` reports when it fires.

How ``detect.judge`` reads the groups: a sentence is a claim when a clause that no
``CLAUSE_NEGATIVES`` cue vetoes names a topic (``TOPIC_CUES``), something asserts it (a cue
of an ``ASSERTIVE_TOPICS`` topic, an ``EFFECTS`` cue, or an ``IMPLICIT`` frame), and the
sentence is about kratom, a product, an amount or the writer (``ANCHORS``, or an ``IMPLICIT``
frame); no ``SENTENCE_NEGATIVES`` cue may fire. A ``SAFETY_OVERRIDES`` cue in a clause (a harm
denied: "won't slow your breathing") keeps the caution cues from vetoing it. ``dosage``
alone is no claim: an amount must come with another topic.

The topic cues follow the cue lists of the claims taxonomy (v1, section 2); the negative
groups follow its list of what is not a claim (section 1). For speed, a lookbehind always
follows a literal (``\\bsaf(?<!not saf)``), so it runs only where that literal matched.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Cue(NamedTuple):
    """One named pattern."""

    name: str
    pattern: re.Pattern[str]


def _cues(group: str, table: dict[str, str]) -> tuple[Cue, ...]:
    return tuple(Cue(f"{group}.{name}", re.compile(source)) for name, source in table.items())


# The closed topic list of the taxonomy, in its order.
TOPICS = (
    "opioid_withdrawal",
    "pain",
    "anxiety_mood",
    "blood_pressure_cardio",
    "disease_other",
    "safety_assertion",
    "dosage",
    "mechanism_receptor",
    "energy_focus",
    "sleep",
    "contamination",
    "legality",
    "potency_7oh",
    "general_wellness",
)

# Topics whose cues assert by themselves ("lab tested", "legal in all states", "binds to
# receptors"); the cues of the others only name the subject and need an effect.
ASSERTIVE_TOPICS = frozenset(
    {
        "safety_assertion",
        "mechanism_receptor",
        "contamination",
        "legality",
        "potency_7oh",
        "general_wellness",
    }
)

_SUBSTANCES = (
    r"(?:opioids?|opiates?|pills|painkillers|pain pills|pain meds|oxy\w*|percocets?|vicodin|"
    r"hydrocodone|fentanyl|morphine|tramadol|alcohol|drinking|booze|nicotine|smoking|"
    r"cigarettes|benzos?|xanax|drugs|meds)"
)
# An amount with a unit; not what a product contains ("contains 500 mg").
_AMOUNT = (
    r"\b(?=\d|one|two|three|four|five|six|seven|eight|nine|ten|half|a half|a few|a couple)"
    r"(?<!contains )(?<!contain )(?<!holds )(?<!packs )(?<!power of )(?<!equivalent of )"
    r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a )?half(?: an?)?|"
    r"a few|a couple of)(?:\s?(?:-|to|or)\s?\d+(?:\.\d+)?)?\s?(?:g|gs|grams?|gr|mg|"
    r"milligrams?|tsps?|teaspoons?|tbsps?|tablespoons?|scoops?|capsules?|caps|pills?|tablets?|"
    r"cups?|doses?|servings?)\b"
)
_NEGATION = (
    r"\b(?:won't|wont|doesn't|does not|do not|don't|didn't|never|not|no|without|can't|cannot)"
)

TOPIC_CUES: dict[str, tuple[Cue, ...]] = {
    "opioid_withdrawal": _cues(
        "opioid_withdrawal",
        {
            "withdrawal": r"\bwithdrawal(?<!kratom withdrawal)s?\b(?! from kratom)",
            "detox": r"\bdetox\w*",
            "taper": r"\btaper\w*|\bwean\w*",
            "cravings": r"\bcravings?\b",
            "addiction": (
                r"\baddict(?<!gets addict)(?<!get addict)(?<!got addict)(?<!become addict)"
                r"(?<!becomes addict)(?:ion|ions|ed|s)\b(?! to kratom)|\bdependen(?:ce|cy)\b"
            ),
            "recovery": (
                r"\brecover(?:y|ing)\b|\bsobriety\b|\bsober\b|"
                r"\b(?:stay|stays|stayed|staying|been|keep\w* \w+) clean\b"
            ),
            "treatment_drug": r"\b(?:heroin|methadone|suboxone|subutex|buprenorphine|bupe)\b",
            "quit_substance": (
                r"\b(?:quit\w*|kick\w*|ditch\w*|switch\w* from|off|get off|getting off|"
                r"got (?:\w+ )?off|come off|coming off|came off|stay off|staying off|off of|"
                r"replac\w+|substitute for|alternative to|instead of|away from|"
                r"reduce (?:their|your|my)|cut (?:back on|down on|out|my|your|their)|"
                r"step\w* (?:down|off) from|no more|"
                r"free (?:of|from)|break\w* free from|freedom from|dependent on|hooked on)\s"
                r"(?:[\w-]+\s){0,3}?" + _SUBSTANCES + r"\b"
            ),
            "opioid_crisis": (
                r"\bopioid (?:crisis|epidemic|use disorder)\b|"
                r"\b(?:opioid|opiate|heroin|pill|painkiller) (?:habit|problem)s?\b"
            ),
        },
    ),
    "pain": _cues(
        "pain",
        {
            "pain": r"\bpain(?:s|ful)?\b(?![- ]?(?:killers|pills|meds|medications))",
            "painkiller": r"\b(?:natural|herbal|plant[- ]based|best)\s+pain[- ]?killers?\b",
            "aches": (
                r"\b(?:aches?|aching|achy|sore|soreness|hurts?|hurting)\b"
                r"(?!\s(?:your|the|my)\s(?:liver|kidneys?|stomach|body))"
            ),
            "relief": r"\brelief\b(?!\s(?:from|of|for)\s(?!(?:\w+\s)?(?:pain|aches?)))",
            "analgesic": r"\banalgesi\w+|\banti-?inflammator\w+|\binflam\w+",
            "condition": (
                r"\b(?:arthritis|fibro\w*|migraines?|headaches?|sciatica|neuropath\w+|cramps?|"
                r"stiffness|joints|muscle tension|lower back|back problems|tendinitis|gout|"
                r"discomfort|injur(?:y|ies)|(?:my|your|bad|sore) (?:back|knees?|neck|"
                r"shoulders?|hips?|feet))\b"
            ),
        },
    ),
    "anxiety_mood": _cues(
        "anxiety_mood",
        {
            "anxiety": (
                r"\banxi\w+|\banx(?:ity|eity|ety)\b|\bpanic\b|\bnervous\w*|\bnerves\b|"
                r"\bworr(?<!without worr)(?<!no worr)(?<!don't worr)(?:y|ies|ied)\b"
            ),
            "stress": r"\bstress\w*",
            "depression": (
                r"\bdepres(?<!respiratory depres)s?(?:ion|ed|ive)\b|\bantidepressants?\b|"
                r"\b(?:ssris?|zoloft|prozac|lexapro|paxil|celexa|wellbutrin)\b"
            ),
            "mood": r"\bmoods?\b|\bthe blues\b|\bhappier\b|\beuphori\w+|\buplift\w*",
            "ptsd": r"\bptsd\b|\btrauma\w*",
            "calm": (
                r"\bcalm(?:er|ing|ness)?\b(?!\s(?:\w+\s)?(?:joints|inflam\w*|pain|swelling|skin|"
                r"stomach|muscles))|\brelax(?:es|ed|ing|ation|ant)?\b"
                r"(?!\s(?:the\s)?(?:blood|arter|vessel|muscle))|\bunwind\w*|\btranquil\w*|"
                r"\bmellow\b|\birritab\w+|\bon edge\b|\btension(?<!muscle tension)\b(?! headaches?)"
            ),
            "myself": r"\bfeel like (?:myself|me|a new person)\b",
        },
    ),
    "blood_pressure_cardio": _cues(
        "blood_pressure_cardio",
        {
            "blood_pressure": r"\bblood pressure\b|\bbp\b|\bhypertensi\w+",
            "heart": r"\bheart\b(?! attack)|\bcardi\w+|\bcholesterol\b|\barter\w+",
            "circulation": r"\bcirculat\w+|\bblood flow\b",
            "stroke": r"\bstrokes?\b",
        },
    ),
    "disease_other": _cues(
        "disease_other",
        {
            "cancer": r"\bcancer\w*|\btumou?rs?\b",
            "diabetes": (
                r"\bdiabet\w+|\bblood sugar\b|\bsugar (?:levels?|numbers|readings)\b|\ba1c\b|"
                r"\bglucose\b|\binsulin\b"
            ),
            "immune": r"\bimmun\w+",
            "infection": (
                r"\bantivir\w+|\bantibacter\w+|\bantimicrob\w+|\binfections?\b|\bviruse?s?\b|"
                r"\bcolds?\b(?! turkey| water| brew)|\bflu\b|\binfluenza\b|\bcovid\w*|"
                r"\bcoronavirus\b"
            ),
            "gut": r"\bdiarrh\w+|\bdysentery\b",
            "sick": r"\bget(?:s|ting)? sick\b|\bsick days?\b|\billness(?:es)?\b",
            "neuro": r"\balzheimer\w*|\bparkinson\w*|\bdementia\b",
        },
    ),
    "safety_assertion": _cues(
        "safety_assertion",
        {
            "safe": (
                r"\bsaf(?<!not saf)(?<!n't saf)(?<!never saf)(?:e|er|est)\b"
                r"(?! (?:place|spot|storage|shipping|delivery|packaging|checkout))"
            ),
            "non_addictive": (
                r"\bnon-?addictive\b|\b(?:not|isn't|never|less|n't)\s(?:\w+\s)?addictive\b|"
                r"\bno (?:risk of )?addiction\b|\b(?:not|isn't|never|non)[- ]habit[- ]forming\b|"
                r"\b(?:no one|nobody|no-one|never)\s(?:\w+\s)?(?:gets?|got|becomes?) (?:addicted|"
                r"hooked|dependent)\b|" + _NEGATION + r"\s(?:\w+\s){0,4}?(?:dependent|hooked|"
                r"addicted)\b"
            ),
            "no_side_effects": (
                r"\b(?:no|zero|without|free of|free from|minimal|few|mild|rare|little)\s"
                r"(?:[\w-]+\s){0,2}?side[- ]effects?\b|"
                r"\bside[- ]effects? (?:are|were|is) (?:\w+ )?(?:rare|minimal|mild|negligible|"
                r"uncommon|few)\b|\b(?:never|no|zero)\s(?:\w+\s){0,4}?(?:complaints?|reports?)\s"
                r"(?:about|of)\s(?:any\s)?side[- ]effects?\b"
            ),
            "harmless": (
                r"\bharmless\b|\bgentle(?:r|st)?\s(?:on|than|for)\b|\bbenign\b|\bnon-?toxic\b|"
                r"\b(?:kind|easy) (?:to|on) (?:your|the) (?:body|stomach|system|liver)\b|"
                r"\b(?:much|far|way|a lot) milder\b|\bmilder than\b"
            ),
            "no_problems": (
                r"\b(?:no|zero|without|won't have|never had|don't have)\s(?:any\s)?(?:problems|"
                r"issues|ill effects|negative effects|bad effects|complications|trouble)\b"
            ),
            "no_overdose": (
                r"\b(?:can't|cannot|can not|impossible to|won't|never)\s(?:\w+\s)?overdose\b|"
                r"\b(?:no|zero) (?:recorded |reported |known )?(?:overdoses|deaths|fatalities)\b|"
                r"\b(?:no|zero|little|low) risk of (?:overdose|addiction|dependence|death|harm)\b|"
                r"\b(?:nobody|no one|no-one)\s(?:\w+\s){0,2}?(?:died|dies|killed)\b|"
                r"\bnever (?:killed|hurt) anyone\b|"
                r"\bnever (?:been )?(?:an? |any )?(?:\w+ )?(?:death|overdose|fatality)\b"
            ),
            "breathing": _NEGATION + r"\s(?:\w+\s){0,3}?(?:breathing|respirat\w+)",
            "no_interactions": _NEGATION + r"\s(?:\w+\s)?interact\w*",
            "organs": (
                _NEGATION + r"\s(?:\w+\s){0,2}?(?:damage|harm|hurt|affect|stress|tax|injur|"
                r"mess\w* with|bother)\w*\s(?:\w+\s){0,2}?(?:liver|kidneys?)\b|"
                r"\b(?:safe|fine|easy|gentle) (?:for|on) (?:the |your )?(?:liver|kidneys?)\b"
            ),
            "pregnancy": (
                r"\b(?:safe|fine|okay|ok)\b(?<!not safe)(?<!n't safe)(?<!not fine).{0,40}"
                r"\b(?:pregnan\w+|breastfeed\w*|nursing (?:mothers?|moms?|women))\b"
            ),
            "tolerance": (
                r"\b(?:prevent|prevents|avoid|avoids|keep|keeps|stop|stops|never|no)\s"
                r"(?:\w+\s){0,2}?tolerance\b|\btolerance (?:from|never|won't)\b"
            ),
            "mild_withdrawal": (
                r"\bwithdrawal\b.{0,30}\b(?:is|are|was)\s(?:\w+\s)?(?:mild|minimal|easy|"
                r"nothing|manageable)\b|\b(?:no|mild|minimal) withdrawals?\b"
            ),
            "tolerated": r"\btolerate\w*\s(?:\w+\s){0,2}?well\b",
            "less_harm": (
                r"\b(?:less|fewer|lower)\s(?:addictive|harmful|dangerous|risky|side effects|"
                r"risks?)\b|\bwithout (?:the |any )?(?:risks?|dangers?|downsides?|addiction|"
                r"dependence|hangover)\b|\bnone of the (?:dangers|risks|side effects|downsides)\b|"
                r"\b(?:as|no more|not (?:very |that )?|hardly|barely) (?:risky|dangerous|harmful) "
                r"(?:as|than)\b"
            ),
        },
    ),
    "dosage": _cues(
        "dosage",
        {
            "amount": _AMOUNT,
            "frequency": (
                r"\b(?:twice|once|three times|\d+ times)\s(?:a|per|every)\s(?:day|week)\b|"
                r"\b(?:twice|once) daily\b|\bevery (?:other|few|second|couple of|\d+) "
                r"(?:days?|hours?)\b|\b(?:a|per) day\b|\bdaily (?:scoop|dose|cup|serving|"
                r"capsule)s?\b|\brotat\w+ (?:strains|doses|your)\b"
            ),
        },
    ),
    "mechanism_receptor": _cues(
        "mechanism_receptor",
        {
            "receptor": r"\breceptors?\b",
            "agonist": r"\bagonis\w+|\bantagonis\w+",
            "binds": r"\bbind(?:s|ing)?\b|\bbound to\b",
            "works_like": (
                r"\b(?:works?|acts?|functions?|behaves?)\b.{0,40}\blike\s"
                r"(?:morphine|an? opioid|opioids|opiates?|codeine)\b|"
                r"\b(?:similar|comparable) to (?:morphine|codeine|opioids|opiates)\b"
            ),
            "neurotransmitter": (
                r"\b(?:boost\w*|increas\w+|rais\w+|releas\w+|stimulat\w+|trigger\w*|"
                r"modulat\w+|activat\w+|affect\w*|target\w*)\s(?:\w+\s){0,3}?(?:serotonin|"
                r"dopamine|endorphins?|noradrenaline|norepinephrine|gaba)\b"
            ),
            "alkaloid_effect": (
                r"\b(?:mitragynine|7-?hydroxymitragynine|7-?oh|alkaloids?)\b.{0,40}"
                r"\b(?:responsible for|behind the)\b"
            ),
            "mu_opioid": r"\b(?:mu|μ|kappa|delta)-?opioid\b",
            "pathway": (
                r"\b(?:acts?|acting|works?) on (?:the )?(?:brain|body|nervous|opioid|same)\b|"
                r"\b(?:stimulat|activat|target|modulat)\w*\s(?:the\s)?(?:same\s)?(?:\w+\s){0,2}?"
                r"(?:pathways?|systems?|neurotransmitters?|centers?)\b|\bopioid system\b"
            ),
        },
    ),
    "energy_focus": _cues(
        "energy_focus",
        {
            "energy": r"\benerg\w+|\bstamina\b|\bendurance\b|\bvigou?r\b|\bpep\b",
            "focus": (
                r"\bfocus\w*|\bconcentrat(?:ion|e|ing)\b|\balert(?<!import alert)"
                r"(?<!health alert)(?:ness)?\b|\bsharp(?:en\w*|er)?\b|\bclear[- ]headed\b"
            ),
            "motivation": (
                r"\bmotivat\w+|\bproductiv\w+|\bdrive\b|\bworkloads?\b|\bpower(?:s|ed)? through\b|"
                r"\bon top of (?:my |your |the )?(?:work|tasks|day)\b|\bbrain fog\b|\badhd\b|"
                r"\b(?:gets?|got|keeps?|kept) (?:me|you) going\b|"
                r"\b(?:long|double|night|\d+-hour) shifts?\b|"
                r"\b(?:gym|hikes?|hiking)\b|\b(?:before|for|during) (?:a |your |my )?(?:workouts?|"
                r"training|exercise)\b"
            ),
            "fatigue": (
                r"\bfatigue\w*|\btired\w*|\bexhaust\w+|\bsluggish\w*|\bslump\w*|\bawake\b|"
                r"\blethargi?\w*"
            ),
            "stimulant": (
                r"\bpick-me-up\b|\bstimulants?\b|"
                r"\bstimulating\b(?!\s(?:\w+\s)?(?:serotonin|dopamine|receptors?))|"
                r"\bpre-?workout\b|\b(?:morning|afternoon|daily|usual|your|my) coffee\b|"
                r"\bcoffee (?:replacement|alternative|substitute)\b|"
                r"\blike (?:an? )?(?:\w+ ){0,2}?(?:cup of )?coffee\b"
            ),
        },
    ),
    "sleep": _cues(
        "sleep",
        {
            "sleep": (
                r"\bsleep\w*|\bslept\b|\basleep\b|\binsomni\w+|"
                r"\bsedat(?<!without sedat)(?<!no sedat)(?<!non-sedat)\w*"
            ),
            "bedtime": (
                r"\bbedtime\b|\bbefore bed\b|\bdrift(?:s|ing)? off\b|\brestful\b|"
                r"\bnighttime\b|\bat night\b|\bthrough the night\b|\bwind(?:ing|s)?[- ]down\b|"
                r"\bknock(?:s|ed)? (?:me|you) out\b|\bnight's (?:rest|sleep)\b|\bgood night\b"
            ),
        },
    ),
    "contamination": _cues(
        "contamination",
        {
            "lab_tested": (
                r"\blab(?:oratory)?[- ]?(?:tested|verified|testing|results|reports?|certified|"
                r"analy\w+)\b|\b(?:test|testing|batch) (?:results|reports)\b|"
                r"\b(?:tested|screened|checked)\s(?:(?!positive\b)\w+\s){0,2}?for\b|"
                r"\b(?:tested|screened|checked|verified|analy[sz]ed)\s(?:by|at|in)\s(?:[\w-]+\s){0,3}?"
                r"(?:labs?|laborator\w+)\b|"
                r"\btest(?:s|ed)?\s(?:\w+\s)?(?:every|each|all|our)\s(?:\w+\s)?(?:lots?|"
                r"batch(?:es)?|products?|shipments?|orders?|bags?|harvests?)\b|\bthird[- ]party\b|"
                r"\btest\w*\b.{0,40}\bfor (?:\w+\s){0,2}?(?:contaminants?|heavy metals|metals|"
                r"salmonella|e\. ?coli|lead|microbes|pathogens|purity|potency)\b|"
                r"\b(?:independently |third-party )?verified for (?:purity|potency|quality)\b"
            ),
            "coa": r"\bcoas?\b|\bcertificates? of analysis\b",
            "pure": r"\bpur(?:e|er|ity|est)\b|\bclean(?:er|est)\b",
            "free_of": (
                r"\b(?:free (?:of|from)|no|zero|without)\s(?:[\w-]+\s){0,3}?(?:contaminants?|"
                r"contamination|heavy metals|salmonella|e\. ?coli|lead|nickel|arsenic|mercury|"
                r"cadmium|pesticides|fillers|additives|adulterants|microb\w+|mold|bacteria|"
                r"impurities|toxins)\b|\bcontaminant[- ]free\b"
            ),
            "gmp": (
                r"\bc?gmp\b|\bgood manufacturing practices?\b|\bpharmaceutical[- ]grade\b|"
                r"\bfda[- ]inspected\b"
            ),
        },
    ),
    "legality": _cues(
        "legality",
        {
            "legal": (
                r"\b(?:il)?legal(?:ly|ity)?\b(?! advice| age)|\b(?:allowed|permitted|lawful)\b"
            ),
            "ban": r"\bbann?(?:ed|s)?\b",
            "federal": r"\bfederally\b|\bfederal level\b",
            "fda_status": (
                r"\bfda[- ](?:registered|approved|compliant|certified|listed)\b|"
                r"\b(?:registered|approved) (?:with|by) (?:the )?fda\b|"
                r"\b(?:fully|legally|federally) compliant\b|"
                r"\bcompliant with (?:the )?(?:fda|federal|state|law|kcpa)\b"
            ),
            "controlled": r"\bcontrolled substances?\b|\bschedul\w+",
            "kcpa": r"\bkcpa\b|\bkratom consumer protection act\b",
        },
    ),
    "potency_7oh": _cues(
        "potency_7oh",
        {
            "seven_oh": (
                r"\b7(?<!alkaloid 7)(?<!compound 7)(?:-?oh|-?hydroxy\w*|ω\w*)\b"
                r"(?! (?:binds|acts|activates|is (?:the|an?) (?:compound|alkaloid)))"
            ),
            "enhanced": r"\benhanced\b|\bconcentrat(?:ed|es?)\b|\bfortified\b|\bultra\b",
            "multiple": (
                r"\b\d+\s?x\b|\b\d+ times (?:stronger|more|the)\b|\b(?:twice|double|triple) "
                r"the\b|\bthan (?:regular|plain|raw|normal|ordinary) (?:leaf|powder|kratom)\b"
            ),
            "strongest": (
                r"\b(?:strongest|most potent|most powerful|maximum strength|max strength|"
                r"extra strength|hits? harder|high[- ]tolerance|(?:experienced|seasoned|veteran) "
                r"users|(?:more|extra) kick)\b"
            ),
            "strong_form": (
                r"\b(?:extracts?|tinctures?|shots?|tablets?|gummies)\b.{0,60}\b(?:strong|"
                r"stronger|potent|powerful|potency|power|packs?|equals?|equivalent|worth of|full "
                r"(?:spoon|gram|dose))\b|\b(?:strong|stronger|potent|powerful)\b"
                r".{0,40}\b(?:extracts?|tinctures?|shots?|tablets?|gummies)\b"
            ),
        },
    ),
    "general_wellness": _cues(
        "general_wellness",
        {
            "wellness": r"\bwellness\b|\bwell[- ]?being\b|\bvitality\b|\bholistic\b",
            "balance": (
                r"\bbalanced?\b|\bharmony\b|\b(?:daily |simple )?ritual\b|\bwhole[- ]body\b|"
                r"\bgrounded\b|\bcentered\b"
            ),
            "overall": (
                r"\boverall (?:health|wellness)\b|\bhealthier\b|\bfeel (?:your|my|our) best\b|"
                r"\b(?:mind|body|spirit|soul)(?:,| and| &) (?:\w+ )?(?:body|mind|spirit|soul)\b|"
                r"\bnourish\w*"
            ),
        },
    ),
}

# Word starts of which every match of a topic cue contains at least one (a digit covers
# amounts and "7-OH"); regex fragments, matched after ``\\b``. One search for them all is the
# prefilter: a sentence without any names no topic. A test keeps them in step with the cues.
TOPIC_STEMS: dict[str, str] = {
    "opioid_withdrawal": (
        "withdraw detox taper wean craving addict dependen recover sobri sober heroin methadone "
        "suboxone subutex buprenorphine bupe opioid opiate pill painkiller pain oxy percocet "
        "vicodin hydrocodone fentanyl morphine tramadol alcohol drinking booze nicotine smoking "
        "cigarette benzo xanax drug meds clean"
    ),
    "pain": (
        "pain ache aching achy sore hurt relief analges anti inflam arthritis fibro migraine "
        "headache sciatica neuropath cramp stiffness joints muscle back tendinitis gout "
        "discomfort injur knee neck shoulder hip feet"
    ),
    "anxiety_mood": (
        "anxi panic nervous nerves worr stress depress antidepress mood blues happier euphori "
        "uplift ptsd trauma calm relax unwind tranquil mellow irritab edge tension feel anx ssri "
        "zoloft prozac lexapro paxil celexa wellbutrin"
    ),
    "blood_pressure_cardio": "blood bp hypertensi heart cardi cholesterol arter circulat stroke",
    "disease_other": (
        "cancer tumor tumour diabet blood glucose insulin immun antivir antibacter antimicrob "
        "infection virus cold flu influenza covid coronavirus diarrh dysentery alzheimer "
        "parkinson dementia sick illness sugar a1c"
    ),
    "safety_assertion": (
        "saf addict side harmless gentl benign toxic overdose death fatalit died dies killed kill "
        "hurt breath respirat interact liver kidney pregnan breastfeed nursing tolerance tolerat "
        "withdraw risk danger harm downside hangover problem issue effects complication trouble "
        "habit hooked dependen milder body stomach system"
    ),
    "dosage": (
        r"g\b gs\b gr\b gram milligram mg tsp teaspoon tbsp tablespoon scoop capsule caps pill "
        "tablet cup dose serving twice once times every day daily rotat"
    ),
    "mechanism_receptor": (
        "receptor agonis antagonis bind bound morphine opioid opiate codeine serotonin dopamine "
        "endorphin noradrenaline norepinephrine gaba mitragynine alkaloid pathway system "
        "neurotransmit center brain body nervous same"
    ),
    "energy_focus": (
        "energ stamina endurance vigo pep focus concentrat alert sharp clear motivat productiv "
        "drive workload power top brain adhd keep shift gym hike hiking workout training "
        "exercise fatigue tired exhaust sluggish slump awake letharg pick stimula pre coffee going"
    ),
    "sleep": "sleep slept asleep insomni sedat bedtime bed drift restful night wind knock",
    "contamination": (
        "lab test batch screen check third verified coa certificate pur clean contamina metal "
        "salmonella coli lead nickel arsenic mercury cadmium pesticide filler additive "
        "adulterant microb mold bacteria impurit toxin gmp cgmp manufacturing pharmaceutical fda"
    ),
    "legality": (
        "legal illegal allowed permitted lawful ban federal fda registered approved compliant "
        "controlled schedul kcpa consumer"
    ),
    "potency_7oh": (
        "enhanced concentrat fortified ultra twice double triple regular plain raw normal "
        "ordinary strongest most maximum max extra hit high experienced seasoned veteran kick "
        "extract tincture shot tablet gumm"
    ),
    "general_wellness": (
        "wellness well vitality holistic balance harmony ritual whole grounded centered overall "
        "healthier feel body mind spirit soul nourish"
    ),
}

# Something is said to happen: a benefit verb, an effect phrase, a use framed as a remedy.
EFFECTS = _cues(
    "effect",
    {
        "help": r"\bhelp(?:s|ed|ing|ful)?\b",
        "ease": r"\beas(?:e|es|ed|ing)\b|\btakes? the edge off\b",
        "relieve": r"\brelie(?:f|ve|ves|ved|ving)\b",
        "reduce": (
            r"\b(?:reduc|lower|decreas|drop|shrink|slow)\w*|\bbring\w* \w+ down\b|"
            r"\b(?:came|come|went|go) down\b"
        ),
        "boost": r"\bboost\w*|\bincreas\w*|\braises?\b|\benhanc\w*|\bamplif\w*",
        "support": r"\bsupport\w*|\bpromot\w*|\bimprov\w*|\brestor\w*|\bstrengthen\w*",
        "fight": (
            r"\bfight\w*|\bfought\b|\bcombat\w*|\bbeat\w*|\bdestroy\w*|\bkill(?:s|ed)?\b|"
            r"\bcrush\w*|\bbattl\w+|\bbanish\w*|\bfend\w* off\b|\bdull\w*|\bconquer\w*"
        ),
        "treat": (
            r"\btreat(?:s|ed|ing|ment)?\b|\bcur(?:e|es|ed|ing)\b|\bheal(?:s|ed|ing|er)?\b|"
            r"\bremed(?:y|ies)\b"
        ),
        "protect": r"\bprevent\w*|\bprotect\w*|\bshield\w*|\bguard\w*",
        "soothe": (
            r"\bsooth\w*|\bsettl(?:e|es|ed|ing)\b|\bcalms?\b|\bquiet(?:s|ed)?\b|\bmelt\w*|\blift(?:s|ed|ing)?\b|"
            r"\bregulat\w*|\brelax(?:es|ed)\b|\bbrighten\w*|-(?:brightening|boosting|lifting|"
            r"enhancing|relieving|reducing|busting|calming|soothing|inducing|promoting)\b"
        ),
        "manage": (
            r"\bmanag\w+|\bcop(?:e|es|ing)\b|\bin check\b|\bat bay\b|\bkeep(?:s|ing)?\b|\bkept\b|"
            r"\bcredit\w* (?:kratom|it|this)\b|\bstops?\b|\bcurbs?\b"
        ),
        "quit": (
            r"\bquit\w*|\bkick\w*|\bditch\w*|\btaper\w*|\bwean\w*|\boff (?:it|them|pills)\b|"
            r"\b(?:got|gets|get|getting) (?:\w+ )?off\b"
        ),
        "works": (
            r"\bwork(?:s|ed)? (?:wonders|great|well|like|for|as|fast|in|miracles)\b|"
            r"\beffective\w*|\bdoes the trick\b|\bsweet spot\b|\ball it takes\b"
        ),
        "gives": (
            r"\b(?:give|gives|gave|giving|deliver\w*|provid\w*|offer\w*|brings?)\b|"
            r"\blets? (?:me|you|them)\b|\bmakes? (?:me|you) feel\b|\b(?:thanks|thx|thank) to\b"
        ),
        "life": (
            r"\b(?:saved|changed) (?:my|your|their|our) li(?:fe|ves)\b|\bmy life back\b|"
            r"\blife[- ]?chang\w+|\bonly thing that\b"
        ),
        "state": (
            r"\bsharpen\w*|\benergi[sz]\w*|\bstimulating\b|\bsedating\b|\bcalming\b|"
            r"\bdrift off\b|\bfall asleep\b|"
            r"\bsle(?:ep|eping|pt) (?:\w+ )?(?:like|through|better|deep|soundly|well)\b|"
            r"\bstay(?:s|ed)? (?:sharp|alert|focused|asleep|calm|off|clean|sober|motivated|"
            r"productive|awake|energized)\b|\bhit(?:s)? harder\b|\bsmooth\w*|"
            r"\bknock(?:s|ed)? (?:\w+ )?out\b"
        ),
        "feel": (
            r"\bfe(?:el|els|elt|eling) (?:\w+ )?(?:calm\w*|relaxed|better|great|good|"
            r"healthier|amazing|like myself|normal|human|happy|happier|energi\w+|focused|alert|"
            r"rested|fine|best)\b"
        ),
        "use_for": (
            r"\b(?:us(?:e|es|ed|ing)|tak(?:e|es|ing)|took|turns? to|rel(?:y|ies) on|"
            r"swears? by|chew\w*|brew\w*)\b(?:\s[\w'-]+){0,6}?\s(?:to|for|against)\b"
        ),
        "alternative": (
            r"\b(?:answer|solution|alternative|replacement|substitute|bridge|lifeline|tool|ally)\b"
        ),
        "recommend": (
            r"\b(?:best|great|perfect|ideal|go-to|top pick|favou?rite|recommended|excellent|"
            r"amazing|unreal|wonderful|famous|popular|made for|built for|designed for|known for|"
            r"crafted to|formulated (?:for|to)|favou?red|secret to|key to|recipe for|of choice)\b|"
            r"\bthere's an? (?:strain|blend|product|kratom) for\b"
        ),
        "gone": (
            r"\bno more\b|\bgoodbye\b|\bgone\b|\banymore\b|\bno longer\b|\bdisappear\w*|"
            r"\bvanish\w*|\bmanageable\b|\bbearable\b|\blivable\b|\btolerable\b|"
            r"\b(?:pain|stress|anxiety|worry|symptom|craving|withdrawal)[- ]free\b"
        ),
        "since": r"\bsince (?:i |i've |switching|starting|taking|trying|using)",
        "enough": r"\b(?:plenty|enough|all you need|just right|sufficient)\b",
        "through": (
            r"\bgets? (?:me|you) (?:through|into)\b|\bpower(?:s|ed)? through\b|"
            r"\b(?:normal|healthy) (?:range|levels?)\b|\bbr(?:eak|eaks|oke|oken|eaking) "
            r"(?:the |my |a |their )?(?:cycle|habit|chains?|free)\b"
        ),
        "on_product": (
            r"\bon(?<!studies on)(?<!research on)(?<!science on)(?<!data on) (?:kratom|it|this|"
            r"red|green|white|yellow)\b"
        ),
        "change": (
            r"\b(?:cravings|pain|aches|anxiety|stress|energy|mood|focus|blood pressure|bp)\s"
            r"(?:is\s|are\s|went\s|goes\s)?(?:down|up|gone|better|lower|higher)\b|"
            r"\bback on track\b|\b(?:less|more) (?:\w+ )?(?:irritable|anxious|stressed|patient|"
            r"relaxed|focused|energetic|alert|productive)\b"
        ),
        "without_downside": (
            r"\bwithout (?:the |any )?(?:crash|jitters|grogginess|hangover|drowsiness|fog)\b|"
            r"\bwon't leave you (?:groggy|foggy|drowsy|tired|jittery|wired)\b|"
            r"\b(?:no|zero) (?:crash|jitters)\b"
        ),
        "properties": (
            r"\b(?:properties|qualities|action)\b|\beffect(?<!side effect)(?<!side-effect)s?\b"
        ),
        "natural_remedy": (
            r"\bnatural (?:painkiller|analgesic|anxiolytic|antidepressant|sedative|remedy|"
            r"alternative|replacement|stimulant|energy|option|solution|choice|way|aid)\b|"
            r"\b(?:sleep|energy|pain|mood|focus) aid\b|"
            r"\bplant-based (?:option|alternative|solution|remedy|way)\b|\bharm[- ]reduction\b"
        ),
    },
)

# What the sentence is about. A claim needs one of these or an IMPLICIT frame.
ANCHORS = _cues(
    "anchor",
    {
        "kratom": (
            r"\bkratom\w*|\bkratum\b|\bketum\b|\bkakuam\b|\bmitragyn\w*|\bspeciosa\b|"
            r"\b7-?oh\b|\b7-?hydroxy\w*|\bmaeng da\b|\b(?:this|the) (?:leaf|leaves|plant|herb)\b"
        ),
        "strain": (
            r"\b(?:red|green|white|yellow|gold|golden|super green)\s(?:vein|maeng|bali|"
            r"borneo|malay\w*|thai|indo|sumatra|horn|hulu|kapuas|vietnam|kali|elephant|"
            r"jongkong|dragon|sunda|riau|bentuangie|papua|dream|relief)\w*|\bstrains?\b"
        ),
        "product": (
            r"\b(?:products?|capsules?|caps|powders?|blends?|extracts?|tinctures?|shots|"
            r"tablets?|gummies|formulas?|batch(?:es)?|leaf)\b"
        ),
        "first_person": r"\b(?:i(?<!schedule i)|i'm|im|i've|ive|i'd|me|my|mine|myself)\b",
        "vendor": (
            r"\b(?:we|we're|we've|our|ours|us)\b|"
            r"\bthe (?:company|brand|vendor|shop|store|manufacturer)\b|\b(?:every|each) lot\b"
        ),
        "users": r"\b(?:users?|customers?|consumers?|reviewers?|buyers?)\b",
        "side_effects": r"\bside[- ]effects?\b",
        "quality_tagline": (
            r"\b(?:lab[- ]tested|third[- ]party|independently|verified|certified|formulated|"
            r"c?gmp|coa|usa made|made in (?:the )?usa)\b"
        ),
        "pronoun": r"(?:^|[,:;] )(?:so |but |and )?(?:it|it's|this|these)\b",
        "amount": _AMOUNT,
    },
)

# Anchors that do not name the subject: a claim with only these is "implicit".
UNNAMED_ANCHORS = frozenset({"anchor.side_effects", "anchor.quality_tagline", "anchor.pronoun"})

# A fragment or tagline that asserts without naming its subject ("Eases everyday aches").
IMPLICIT = _cues(
    "implicit",
    {
        "leading_benefit": (
            r"^(?:eases?|supports?|boosts?|helps?|promotes?|relieves?|soothes?|calms?|fights?|"
            r"lowers?|reduces?|improves?|enhances?|strengthens?|protects?|restores?|lifts?|"
            r"melts?|sharpens?|increases?|stay|feel|get|enjoy|expect|experience|unlock|"
            r"discover|beat|kick|quit|finally|fast|quick|instant|natural|nature's|an? natural|"
            r"an? all-natural|the ultimate|the perfect|a holistic|perfect|great|ideal|"
            r"your go-to|clean|pure|free (?:of|from)|third[- ]party|"
            r"lab[- ](?:tested|verified)|gmp|zero|no more|say goodbye|made for|built for|"
            r"designed for|formulated for|crafted for|legal|safe|non-addictive|maximum|max)\b|"
            r"^100% "
        ),
        "goodbye": r"\bsay goodbye to\b|\bno more\b",
        "benefit_phrase": (
            r"^(?:[\w-]+ ){0,2}(?:relief|support|comfort|calm|energy|focus|sleep|rest|recovery|"
            r"balance|wellness|boost|lift) (?:for|from|to|and|that|without)\b"
        ),
        "state_change": (
            r"^(?:cravings|pain|aches|anxiety|stress|energy|mood|focus|sleep)\s(?:down|up|gone|"
            r"fixed|sorted)\b"
        ),
    },
)

# How strongly the claim is made; a "testimonial" is a claim with the first_person anchor.
HEDGES = _cues(
    "hedged",
    {
        "modal": (
            r"\b(?:may|might|could|can|possibly|potentially|perhaps|reportedly|allegedly)\b"
            r"(?!')"
        ),
        "hearsay": (
            r"\b(?:believed|thought|said) to\b|\bknown (?:for|to)\b|\btends? to\b|\boften\b|"
            r"\b(?:some|many|most) (?:users|people|customers|folks|research|studies|"
            r"evidence)\b|\b(?:studies|research) (?:suggests?|shows?|hints?|indicates?)\b|"
            r"\b(?:users|people|customers) (?:say|report|find|claim|swear)\b|\breports? that\b|"
            r"\badvocates\b|\btraditional\w*|\bhave long used\b|\bhas (?:long )?been used\b"
        ),
    },
)

# Veto the whole sentence.
SENTENCE_NEGATIVES = _cues(
    "negative",
    {
        "commerce": (
            r"\$\s?\d|\b\d+\s?% off\b|\b(?:free shipping|ships? (?:within|same|free|fast|"
            r"discreetly|in|today)|add to cart|buy now|shop now|promo|coupon|use code|subscribe|"
            r"newsletter|must be (?:18|21)|over (?:18|21)|checkout|in stock|sold out)\b|"
            r"\b(?:18|21)\s?\+"
        ),
        "meta": (
            r"^(?:in this (?:article|post|guide)|below,? we|let's|we'll|we will (?:look|"
            r"explore|discuss|cover|break)|read on|keep reading|click|learn more|see (?:also|"
            r"our|below)|related|posted|written by|share this|leave a comment)\b"
        ),
        "navigation": r"›|»|\s\|\s|^home\s?[>/]",
    },
)

# Veto one clause (a sentence with a caution and a benefit is still a claim).
CLAUSE_NEGATIVES = _cues(
    "negative",
    {
        "disclaimer_not_evaluated": (
            r"(?:not|n't)\s(?:been\s)?(?:evaluated|reviewed|assessed|verified)\b"
        ),
        "disclaimer_not_intended": (
            r"\b(?:intended|meant|designed)\sto\s(?:diagnose|treat,? cure|mitigate)\b|"
            r"(?:not|n't|nothing\b.{0,30}?)\s?(?:intended|meant)\sto\s(?:diagnose|treat|cure|"
            r"prevent)\b|\bdiagnose,? treat,? cure\b"
        ),
        "disclaimer_results_vary": (
            r"\b(?:results|experiences?|effects)\s(?:may |will |can |do |might )?(?:vary|"
            r"differ)\b|\bvar(?:y|ies) from person to person\b|\bnot guaranteed\b|"
            r"\bno guarantee"
        ),
        "disclaimer_not_for_consumption": (
            r"\bnot for (?:human )?(?:consumption|use)\b|\b(?:research|botanical) "
            r"(?:purposes )?only\b|\bbotanical (?:sample|research)\b"
        ),
        "disclaimer_not_advice": (
            r"(?:\b(?:not|nothing)\b|n't).{0,40}?\b(?:medical|professional|health) advice\b|"
            r"\b(?:educational|informational|entertainment) purposes\b|\bnot a substitute\b"
        ),
        "disclaimer_no_claims": (
            r"\b(?:do not|don't|cannot|can't|never|won't|doesn't|does not)\s(?:make\s)?"
            r"(?:any\s)?(?:health\s|medical\s)?(?:claims?|promises?|guarantees?)\b|"
            r"\bno (?:health |medical )?(?:claims|promises|guarantees)\b|\bmake no\b|"
            r"^\W*disclaimer\b"
        ),
        "consult_clinician": (
            r"\b(?:consult|talk to|speak (?:to|with)|ask|check with)\s(?:\w+\s){0,2}?(?:doctor|"
            r"physician|pharmacist|healthcare|health care|provider|professional|clinician|"
            r"medical)|\bseek (?:medical|professional)\b"
        ),
        "caution_causes": (
            r"\b(?:can|may|might|could|will|does|do|often|sometimes|commonly)\s(?:also\s)?"
            r"(?:cause|lead to|result in|trigger|be habit[- ]forming|be addictive)\b|"
            r"\bside[- ]effects? (?:include|such as|like|can|may)\b|\bhabit[- ]forming\b"
        ),
        "caution_harm": (
            r"\b(?:nausea|vomiting|constipation|dizziness|seizures?|liver (?:damage|injury|"
            r"toxicity|failure|disease)|psychosis|hallucinations|overdose|fatal|deaths?|died|"
            r"abuse|misuse|adverse|unsafe|not safe|toxicity|dangerous|harmful|risks?)\b"
        ),
        "caution_avoid": (
            r"\bavoid (?:kratom|it|this|using|taking|mixing|combining|use|if|during|while|"
            r"driving|alcohol)\b|\b(?:do not|don't|never|should not|shouldn't)\s(?:use|take|"
            r"mix|combine|drive|exceed|be used|be taken)\b|\bstop (?:using|taking)\b|"
            r"\bout of (?:the )?reach\b"
        ),
        "caution_interaction": (
            r"\binteract(?:s|ions?)?\swith\b(?!\s(?:\w+\s){0,2}?receptors?)|"
            r"\b(?:mix|mixing|combin)\w*\s(?:\w+\s)?with\b"
        ),
        "caution_tolerance": (
            r"\b(?:develop|build|builds|building|built)\s(?:up\s)?(?:a\s)?(?:tolerance|"
            r"dependence|habit)\b|\btolerance\s(?:builds|can build|develops)\b|"
            r"\b(?:kratom withdrawal|withdrawal from kratom|quitting kratom|stopping kratom)\b|"
            r"\blead to (?:dependence|addiction|withdrawal)\b"
        ),
        "caution_pregnancy": (
            r"\bpregnan\w+|\bbreastfeed\w*|\bnursing (?:mothers?|moms?|women|babies|infants)\b|"
            r"\bor nursing\b|\bnursing or\b"
        ),
        "caution_contaminated": (
            r"\btested positive\b|\bcontaminated\b|\boutbreak\b|\brecall(?:s|ed)?\b"
        ),
        "caution_advice": (
            r"\b(?:use|with|exercise) caution\b|\bbe careful\b|\bcarefully\b|\bstart low\b|"
            r"\bgo slow\b"
        ),
        "caution_dose": r"\b(?:at|in) (?:high|large|very high) doses\b|\btoo much\b",
        "caution_legal": (
            r"\b(?:may|might|could) not be legal\b|\bcheck (?:your )?local (?:laws|regulations)\b|"
            r"\blegal status\b.{0,30}\b(?:differs|varies|depends)\b|\b(?:differs|varies|vary) "
            r"(?:from|by) (?:state|country|city)\b"
        ),
        "regulator_reporting": (
            r"\b(?:fda|dea|hhs|cdc|ftc|nih|agency|agencies|regulators?|officials?|authorities|"
            r"marshals|health canada|lawmakers|legislat\w+|congress|governor|poison control)\b"
            r"(?:'s)?\s(?:[\w-]+\s){0,4}?(?:announced?|warn(?:s|ed)?|issued?|says|said|stated?|"
            r"proposed?|recommend(?:s|ed)?|order(?:s|ed)?|seiz(?:e|ed|ure)|found|linked|withdrew|"
            r"withdrawn|tested|testing|sent|placed|placing|added|published|reported|detain\w*|"
            r"banned|voted|passed|signed|received|notice|advisory|letters?|moved|acted|"
            r"restrict\w*|sued|charged|cracked)\b|"
            r"\bwarning letters?\b|\bimport alert\b|\bpublic health advisory\b|"
            r"\baccording to (?:the )?(?:fda|dea|cdc|hhs|nih|agency|officials|regulators)\b"
        ),
        "regulator_position": (
            r"\bno (?:kratom\s)?(?:products?\s)?(?:is\s|are\s)?(?:an?\s)?fda[- ]approved\b|"
            r"\b(?:not|n't|never)\s(?:been\s)?(?:fda[- ])?approved\b|\bnot (?:lawfully|legally) "
            r"marketed\b|\bnot regulated by\b|\bnot lawful\b|\bunregulated\b|"
            r"\bno (?:approved|fda[- ]approved) uses?\b|\bhas(?: not|n't) approved\b|"
            r"\bno (?:\w+\s){0,3}?(?:is|are|has been|have been)\s(?:\w+\s)?approved\b"
        ),
        "negated_benefit": (
            r"\b(?:does|do|did|will|would|can|could|has|have|is|are)(?:n't| not| never)\s"
            r"(?:\w+\s)?(?:cure|cures|treat|treats|heal|heals|fix|fixes|help|helps|relieve|"
            r"relieves|work|works|prevent|prevents|lower|lowers|replace|reverse|proven|shown|"
            r"approved)\b|\bwon't (?:\w+\s)?(?:cure|treat|heal|fix|help|relieve|work|prevent|"
            r"lower|replace)\b|\bnot an? (?:cure|treatment|remedy|substitute|replacement|"
            r"miracle|magic)\b|\bno (?:good |real |solid |scientific |reliable |clinical )?"
            r"(?:evidence|proof)\b|\b(?:not|never|hasn't|has not|haven't|have not)\s(?:been\s)?"
            r"(?:proven|shown|demonstrated|established)\b|\bno (?:one|body) should claim\b"
        ),
        "reported_claim": (
            r"\b(?:wild|false|bogus|misleading|unproven|exaggerated|outrageous|irresponsible)\s"
            r"(?:\w+\s)?(?:claims?|promises?)\b|\bclaims? (?:about|that)\b|"
            r"\b(?:stories|anecdotes|rumou?rs|myths?) (?:of|about|that)\b"
        ),
        "history": (
            r"\b(?:was|were) (?:once |first |later |briefly )?(?:banned|outlawed|legali[sz]ed|"
            r"scheduled|made (?:il)?legal)\b"
        ),
        "product_spec": (
            r"\b(?:each|per|every|one)\s(?:capsule|cap|tablet|bottle|bag|pouch|pack|jar|"
            r"serving)\s(?:contains|holds|has|is)\b|\b\d+\s?(?:mg|g|grams?|capsules?|caps|"
            r"count|ct|oz)\s(?:per|each|in each)\s(?:capsule|bottle|bag|pack|jar|serving)\b|"
            r"\bnet (?:weight|wt)\b|\b\d+[- ]?(?:count|ct|capsule|pack)\s(?:bottles?|bags?|"
            r"jars?|packs?)\b|\bcomes in\b|\bavailable in\b"
        ),
        "research_uncertain": (
            r"\b(?:researchers?|scientists?|studies|study)\s(?:are|is)\s(?:still\s)?"
            r"(?:studying|investigating|looking|exploring|ongoing|underway|limited)\b|"
            r"\bmore research (?:is )?needed\b|\bnot been (?:\w+ )?studied\b|"
            r"\b(?:science|research|evidence|data)\b.{0,40}\b(?:is|are|remains?) (?:still )?"
            r"(?:young|early|limited|thin|weak|lacking|scarce|in its infancy|mixed|unclear)\b|"
            r"\b(?:studies|research|trials|evidence)\b.{0,50}\b(?:small|preliminary|in animals|"
            r"animal studies|in mice|in rats|anecdotal)\b|\bnot (?:yet )?(?:agreed|known|clear|"
            r"understood|settled)\b|\b(?:have|has) not yet\b|\bstill (?:studying|unclear|"
            r"unknown)\b|\bremains? (?:unclear|unknown)\b"
        ),
    },
)

# Caution cues do not veto a clause in which one of these fires: a harm is denied.
SAFETY_OVERRIDES = frozenset(
    {
        f"safety_assertion.{name}"
        for name in (
            "non_addictive",
            "no_side_effects",
            "no_problems",
            "no_overdose",
            "breathing",
            "no_interactions",
            "organs",
            "pregnancy",
            "tolerance",
            "mild_withdrawal",
            "less_harm",
        )
    }
)
CAUTIONS = frozenset(c.name for c in CLAUSE_NEGATIVES if c.name.startswith("negative.caution"))

# Where a sentence divides into clauses judged on their own ("not approved, but it works").
CLAUSE_SPLIT = re.compile(
    r",\s?(?:but|yet|though|although|whereas|however)\b|\s(?:but|yet|however)\s|;\s|:\s|\s-\s|"
    r"^(?:although|though|even though|while|whilst)\b[^,]*,"
)
QUESTION_OPENER = re.compile(
    r"^(?:can|could|does|do|did|is|are|was|will|would|should|what|what's|whats|which|how|why|"
    r"who|where|when|has|have|anyone|any)\b(?!')"
)


def _stems(stems: str) -> re.Pattern[str]:
    return re.compile(r"\d|\b(?:" + "|".join(sorted(set(stems.split()))) + ")")


# A topic's cues run only where its gate finds a stem; PREFILTER is the gate of them all.
TOPIC_GATES = {topic: _stems(stems) for topic, stems in TOPIC_STEMS.items()}
PREFILTER = _stems(" ".join(TOPIC_STEMS.values()))
