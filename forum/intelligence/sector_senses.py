"""Words in another sense for the sector finder (`sector_tags.py`, rules 9, 11 and 13): idioms,
verb senses, names and figures of speech whose keyword is no sector there.

Each group is read only in texts that hold one of its trigger words (lower case), for
speed; a match is blanked out before the keywords are read.
"""

from __future__ import annotations

import re

# Idioms, verb senses, media as audience, energy costs (rule 9), each read only in texts
# with its trigger word (speed).
_MORE_SENSES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (
        ("fruit",),
        re.compile(
            r"""\b(?i:bears?|bore|borne|bearing|yield(?:s|ed)?)\s+(?i:fruits?)\b|\b(?i:low[\s-]hanging\s+fruits?)\b
    |\b(?i:port(?:er|e|ent|era|eront|é|ait|aient|ant))\s+(?:ses|leurs|son|des|de\s+nombreux)\s+fruits\b
    |\b(?i:le|les|un|du)\s+fruits?\s+(?:d['’]|de\s+(?:la\s+(?!passion)|l['’]|ces?|cette|son|sa|ses|leur|leurs|nos|notre))""",
            re.VERBOSE,
        ),
    ),
    (
        ("fashion",),
        re.compile(
            r"""\b(?i:(?:back|is|are|was|were|be|been|remains?|stays?|comes?|came)\s+(?:back\s+)?in\s+fashion)\b
    |\b(?i:(?:out\s+of|into)\s+fashion)\b|\b(?i:in\s+an?\s+[\w-]+\s+fashion)\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("moda", "mode"),
        re.compile(
            r"""\b(?:passa\w*|[èe]|sono|era|tornar\w*|torna|tornano|andare|va|vanno)\s+(?:mai\s+|più\s+)?di\s+moda\b
    |\bfuori\s+moda\b|\bpasad[oa]s?\s+de\s+moda\b
    |\b(?:est[áa]n?|estar|estuvo|estaba|ponerse|pone|ponen|puso|pasar|pasa|pasan|pas[óo])\s+de\s+moda\b
    |\b(?:aus\s+der|in)\s+Mode\s+(?:kommen|kommt|gekommen|sein|ist|sind|war|geraten)\b
    |\b(?:kommen|kommt|kam|kamen|gekommen|sind|ist|war)\s+(?:wieder\s+|gerade\s+|nie\s+)?in\s+Mode\b
    |\baus\s+der\s+Mode\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("aliment",),
        re.compile(
            r"""\b(?i:aliment(?:er|e|es|ent|é|ée|és|ées|ait|aient|era|eront|ant))\b
    |\b(?i:alimentaci[óo]n\s+el[ée]ctrica|alimentation\s+(?:électrique|en\s+(?:électricité|énergie|eau)))\b
    |\b(?i:aliment(?:ar|a|an|ará|arán|ando|ado|ada|ados|adas|ato|ata|ati|ate|ano|ando))\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("média", "media", "medios", "medien", " report"),
        re.compile(
            r"""\b(?:aux|auprès\s+des?|à\s+(?:certains|des|plusieurs|quelques))\s+médias\b
    |\b(?:selon|d['’]après)\s+(?:les\s+|des\s+|plusieurs\s+|certains\s+)?médias\b
    |\b(?i:(?:told|tell|telling|briefed|informed)\s+(?:the\s+)?(?:local\s+|national\s+|state\s+)?media)\b
    |\b(?i:(?:local|national|state|news|press|media)\s+reports?)\b
    |\b(?i:(?:a|an)\s+[\w-]*(?:TV|[Tt]elevision|[Rr]adio)\s+report)\b
    |\b(?:a\s+los|según\s+(?:los\s+)?|según\s+algunos\s+)medios\b
    |\blaut\s+Medienberichten\b|\b(?:den|gegenüber\s+den)\s+Medien\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("nerg",),
        re.compile(
            r"""\b(?i:energy\s+(?:costs?|bills?)|costs?\s+of\s+energy)\b
    |\b(?:co[ûu]ts?\s+(?:de\s+l['’]\s*[ée]nergie|[ée]nerg[ée]tiques?)|factures?\s+(?:d['’]\s*[ée]nergie|[ée]nerg[ée]tiques?))\b
    |\b(?:cost[oi]\s+(?:dell['’]\s*energia|energetic[oi])|bollett[ae]\s+energetic[he]+)\b
    |\b(?:cost[eo]s?\s+(?:de\s+la\s+energ[íi]a|energ[ée]tic[oa]s?)|facturas?\s+energ[ée]ticas?)\b""",
            re.VERBOSE,
        ),
    ),
)
# Fifth round (rule 13): more words in another sense, each group read only in texts with
# its trigger word: "en train de", "un treno di misure", "tren de vida" (no railway); the
# Spanish verb "vino" ("vino a firmar": came to sign, no wine); the Silk Road and its
# namesakes (a trade route, no silk); the Solar System, solar eclipses and storms (no solar
# energy); "cosmetic changes", "rein kosmetisch" (superficial, no cosmetics); a TV star or
# host (a person, no media).
_FIFTH_SENSES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (
        ("train", "treno", "tren"),
        re.compile(
            r"""\ben\s+train\s+d(?:e\b|['’])|\b(?:au|du)\s+train\s+où\b|\b(?:à\s+fond\s+de|grand)\s+train\b
    |\btrain\s+de\s+(?:vie|mesures|réformes|reformes|sanctions|nominations|décrets|hausses|baisses)\b
    |\btreno\s+di\s+(?:misure|riforme|aiuti|provvedimenti|decreti|sanzioni|nomine|rialzi|tagli)\b
    |\b(?:perde\w*|pers[oa])\s+(?:il\s+)?treno\b|\btren\s+de\s+vida\b|\ba\s+todo\s+tren\b
    |\bperd\w*\s+el\s+tren\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("vino",),
        re.compile(
            r"""\b(?:se\s+)?vino\s+(?:a\s+(?!granel\b)[a-záéíóúñ]+(?:ar|er|ir)\b|acompañad[oa]s?\b|abajo\b
    |de\s+la\s+mano\s+de\b)""",
            re.VERBOSE,
        ),
    ),
    (
        ("silk", "soie", "seta", "seda", "seiden"),
        re.compile(
            r"""\b(?i:silk\s+roads?)\b|\b(?i:routes?\s+de\s+la\s+soie)\b|\b(?i:vi[ae]\s+della\s+seta)\b
    |\b(?i:rutas?\s+de\s+la\s+seda)\b|\bSeidenstra(?:ß|ss)en?\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("solar", "solaire", "solare"),
        re.compile(
            r"""\b(?:Solar\s+System|Sistema\s+[Ss]olare?|Système\s+solaire)\b
    |\b(?i:solar\s+(?:eclipses?|flares?|storms?|wind|cycles?|maximum|minimum|corona))\b
    |\b(?i:(?:éclipses?|éruptions?|tempêtes?|vents?)\s+solaires?)\b
    |\b(?i:(?:eclissi|tempest[ae]|vento|brillament[oi])\s+solar[ei])\b
    |\b(?i:(?:eclipses?|tormentas?|viento|llamaradas?)\s+solar(?:es)?)\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("pianet", "planet", "planèt", "astronom"),
        re.compile(
            r"\b(?i:solar\s+system|sistem[ai]\s+solar[ei]|systèmes?\s+solaires?|sistemas?\s+solar(?:es)?)\b"
        ),
    ),
    (
        ("cosmeti", "cosmé", "kosmeti"),
        re.compile(
            r"""\b(?i:(?:purely|merely|largely|only|mostly|simply|just|more\s+than)\s+cosmetic)\b
    |\b(?i:cosmetic\s+(?:changes?|touch(?:es)?|tweaks?|fix(?:es)?|measures?|reforms?|improvements?|makeovers?
        |exercises?|differences?|adjustments?|amendments?|alterations?|gestures?|concessions?))\b
    |\b(?i:(?:changements?|modifications?|mesures?|retouches?|réformes?|ajustements?)\s+cosmétiques?)\b
    |\b(?i:(?:purement|simplement|seulement)\s+cosmétiques?)\b
    |\bkosmetische[nrs]?\s+(?:Änderung|Korrektur|Maßnahme|Eingriff|Reform|Anpassung)\w*|\brein\s+kosmetisch\w*
    |\b(?i:(?:cambios?|medidas?|retoques?|reformas?|ajustes?)\s+cosm[ée]tic[oa]s?)\b
    |\b(?i:(?:meramente|puramente|simplemente)\s+cosm[ée]tic[oa]s?)\b
    |\b(?i:(?:modific(?:a|he)|cambiament[oi]|misur[ae]|ritocch[io]|riform[ae]|interventi?)\s+cosmetic\w*)
    |\b(?i:(?:puramente|meramente|solo)\s+cosmetic\w*)""",
            re.VERBOSE,
        ),
    ),
    (
        ("tv", "télé"),
        re.compile(
            r"""\b(?:[Rr]eality[\s-])?TV[\s-](?:[Ss]tars?|personalit(?:y|ies)|hosts?|presenters?|chefs?|celebrit(?:y|ies)
        |Moderator\w*|Koch|Köchin)\b
    |\b(?:star|vedette|animat\w+|présentat\w+)\s+de\s+(?:la\s+)?(?:télé(?:-réalité)?|TV)\b
    |\b(?:presentador\w*|estrella)\s+de\s+(?:la\s+)?(?:TV|televisión)\b
    |\b(?:star|conduttore|conduttrice|presentatore|presentatrice)\s+(?:della\s+)?(?:TV|tv|televisione)\b""",
            re.VERBOSE,
        ),
    ),
)

# Energy as vigour, rails and fruits as figures, the media as attention, a person's
# descriptor ("hotel heiress"): no sector (rule 13).
_FIGURES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    (
        ("nerg",),
        re.compile(
            r"""\b(?i:(?:great|much|lots?\s+of|full\s+of|positive|youthful|boundless|infectious)\s+energy)\b
    |\b(?i:energy\s+(?:and|&)\s+(?:enthusiasm|passion|commitment|determination|drive))\b
    |\b(?i:(?:beaucoup|plein[es]*|débordant[es]*)\s+d['’]\s*énergie)\b
    |\b(?i:énergie\s+et\s+(?:de\s+)?(?:détermination|enthousiasme|passion|dynamisme))\b
    |\b(?i:(?:mucha|gran|tanta|buena)\s+energía|llen[oa]s?\s+de\s+energía)\b
    |\b(?i:energía\s+y\s+(?:entusiasmo|pasión|determinación|ganas))\b
    |\b(?i:(?:grande|tanta|molta|buona)\s+energia|pien[oaie]\s+di\s+energia)\b
    |\b(?i:energia\s+e\s+(?:entusiasmo|passione|determinazione|grinta))\b
    |\b(?:viel|voller|großer|positiver)\s+Energie\b|\bEnergie\s+und\s+(?:Leidenschaft|Begeisterung|Engagement)\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("rails",),
        re.compile(
            r"\bsur\s+(?:les|de\s+bons|ses|leurs|des)\s+rails\b|\b(?i:(?:back\s+on|off|on)\s+the\s+rails)\b"
        ),
    ),
    (
        ("fruit",),
        re.compile(
            r"""\b(?i:fruits?\s+of\s+(?:(?:their|his|her|its|our|your|the|this|that|these|those|years\s+of|
        decades\s+of)\s+)?(?:labou?r|efforts?|work|investments?|success|research|reforms?|cooperation|
        partnerships?|hard\s+work|collaboration))\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("media", "medien", "mediatic", "mediátic", "médiatique"),
        re.compile(
            r"""\b(?i:media\s+(?:frenzy|attention|coverage|hype|circus|storm|spotlight|scrutiny|blitz|buzz|
        uproar|firestorm|glare))\b|\bMedien(?:rummel|echo|hype|interesse|aufmerksamkeit)\b
    |\b(?i:(?:clamore|circo|polverone|risalto|attenzione)\s+mediatic[oa])\b
    |\b(?i:(?:revuelo|circo|eco|atención)\s+mediátic[oa])\b
    |\b(?i:(?:battage|tapage|emballement|couverture|cirque)\s+médiatique)\b""",
            re.VERBOSE,
        ),
    ),
    (
        ("heir", "tycoon", "magnate", "mogul", "scion"),
        re.compile(
            r"\b(?i:(?:hotel|oil|shipping|media|fashion|cosmetics|rail(?:way)?|steel|tech)\s+"
            r"(?:heir|heiress|heiresses|heirs|tycoons?|magnates?|moguls?|scions?))\b"
        ),
    ),
)

SENSES_BY_TRIGGER: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = (
    _MORE_SENSES + _FIFTH_SENSES + _FIGURES
)
