"""The sectors' keywords in French, German, Spanish and Italian, and English additions.

Written without accents and in lower case (the text is compared folded). A trailing `*`
matches any ending ("cosmeti*": cosmétique, cosmetici, cosmética); a leading `*` (German)
matches inside a compound ("*kosmetik": Naturkosmetik, Kosmetikbranche needs the trailing
one too). Multi-word keywords win over the words inside them ("energias renovables" is
renewable energy, not also energy). Keywords in capitals must match exactly.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split("|") if word.strip())


_FR = {
    "blue-energy": "energie* marine*|eolien* en mer|eolien* offshore|eolien* flottant*|"
    "eolien* maritime*|"
    "hydrolien*|energie* des vagues|energie* maremotrice*|parc* eolien* en mer",
    "cosmetics": "cosmeti*|parfum*|beaute|soins de la peau|maquillage",
    "digital": "numerique*|logiciel*|cybersecurite|intelligence artificielle|informatique*|"
    "telecom*|commerce electronique|equipement* de communication|"
    "equipement* de telecommunication*",
    "energy": "energie|energies|petrol*|gaz naturel|gazier*|hydrocarbure*|electricite|"
    "nucleaire*|hydrogene|raffinerie*|gisement*|baril|barils|groupe energetique|"
    "groupes energetiques|geant de l'energie|energeticien*",
    "environmental-observation": "observation de la terre|teledetection|"
    "surveillance environnementale|qualite de l'air|imagerie satellit*",
    "food": "aliment*|agroaliment*|agricole*|agricultur*|vin|vins|viticol*|vinicole*|"
    "spiritueux|cognac|champagne|fromage*|laiti*|viande*|boisson*|fruit*|legume*|"
    "huile d'olive|cacao|chocolat*|gastronom*|produits de la mer|sial",
    "food-innovation": "foodtech|proteine* alternative*|proteine* vegetale*|viande cultivee",
    "healthcare": "sante|medical*|medicale*|medecine|pharmac*|biotech*|hopita*|"
    "dispositif* medica*|healthtech|medtech|vaccin*|clinique*",
    "high-tech": "aeronauti*|aerospatia*|spatial|spatiale|microtechni*|"
    "microelectroni*|"
    "semi-conducteur*|robotique*|photoni*|electronique*|haute technologie|nanotechnolog*|"
    "quantique*|fabricant* de puces|puces electroniques",
    "sustainable-hospitality": "tourism*|touristi*|hotel*|hebergement*|touriste*|ecotourisme|"
    "restaurateur*|restauration rapide|chaine* de restaurants|reseau de restaurants|"
    "camping|campings|"
    "hotellerie de plein air|nuitee*|agritouris*",
    "maritime-observation": "surveillance maritime|observation des oceans|oceanograph*|"
    "bouee*|sonar*|drone* sous-marin*|hydrograph*|suivi des navires|surveillance des navires",
    "media": "media|medias|audiovisuel*|cinema*|televis*|presse|journalis*|radiodiffus*|publicit*",
    "railway": "ferroviaire*|train|trains|tgv|tramway*|rail|rails|locomotive*|metro|rames|"
    "materiel roulant|sncf|wagon|wagons",
    "renewable-energy": "renouvelable*|energie* renouvelable*|eolien*|eolienne*|solaire*|"
    "photovoltaique*|biomasse|biogaz|geotherm*|hydroelectri*|energie* verte*|"
    "energie* propre*|hydrogene vert",
    "smart-mobility": "mobilite electrique|vehicule* electrique*|voiture* electrique*|"
    "borne* de recharge|mobilite* intelligente*|covoiturage|autopartage|bus electrique*|"
    "trottinette*|velo* electrique*|vehicule* autonome*",
    "textile": "textile*|habillement|vetement*|couture|tissu*|laine|coton|soie|chaussure*|"
    "pret-a-porter|industrie de la mode|filiere mode",
}

_DE = {
    "blue-energy": "offshore-wind*|*meeresenergie*|gezeitenkraft*|wellenenergie*|"
    "schwimmend* windpark*|schwimmend* windkraft*|schwimmend* windturbine*",
    "cosmetics": "*kosmetik*|*parfum*|schonheit*|*korperpflege*|hautpflege*",
    "digital": "digital*|*digitalisierung*|software*|*cybersicherheit*|"
    "kunstliche intelligenz|kunstlichen intelligenz|telekommunikation*|rechenzentr*|"
    "e-commerce|informatik*",
    "energy": "energie|energien|energiewirtschaft*|energieversorg*|erdol*|erdgas*|"
    "ol und gas|*kraftwerk*|stromnetz*|wasserstoff*|kernkraft*|atomkraft*|raffinerie*|"
    "energiekonzern*",
    "environmental-observation": "erdbeobachtung*|fernerkundung*|umweltmonitoring|luftqualitat",
    "food": "*lebensmittel*|*ernahrungs*|ernahrung|nahrungsmittel*|agrar*|landwirtschaft*|"
    "wein|weine|weinbau*|kase|*milch*|fleisch*|getrank*|obst|gemuse|bauernverband*|"
    "*schokolade*|backwaren|bier|brauerei*|molkerei*",
    "food-innovation": "alternative protein*|*fleischersatz*|laborfleisch|foodtech",
    "healthcare": "*medizintechnik*|medizin*|*gesundheit*|pharma*|krankenhaus*|klinik*|"
    "biotech*|arzneimittel*|*medizinprodukt*|herzschrittmacher*|apotheke*",
    "high-tech": "luft- und raumfahrt*|*raumfahrt*|halbleiter*|mikroelektronik*|robotik|"
    "roboter*|photonik|hightech|high-tech|*elektronik*|quanten*|laser*|rustung*|"
    "*chiphersteller*|analog-chips|mikrochip*",
    "sustainable-hospitality": "*tourismus*|touris*|hotel*|*hotellerie*|gastgewerbe*|"
    "*ubernachtung*|*beherbergung*|*restaurantkette*|*gastronomie*|"
    "*campingplatz*|*campingplatze",
    "maritime-observation": "meeresbeobachtung*|seeuberwachung*|sonar*|ozeanograph*|"
    "hydrograph*|unterwasserdrohne*|*seeraumuberwachung*|schiffsverfolgung",
    "media": "medien*|*medien|rundfunk*|fernseh*|film|filme|filmwirtschaft*|verlag*|"
    "zeitung*|journalis*|streaming",
    "railway": "bahn|s-bahn*|*strassenbahn*|stadtbahn*|*eisenbahn*|regionalzug*|"
    "regionalzuge|*triebzug*|*triebzuge|hochgeschwindigkeitszug*|schienen*|"
    "*schienenverkehr*|*straßenbahn*|lokomotive*|schienenfahrzeug*|nahverkehr*|zugverkehr|"
    "*guterwagen*|*waggon*",
    "renewable-energy": "erneuerbar*|*windenergie*|*windkraft*|*windpark*|solar*|"
    "*photovoltaik*|*okostrom*|biogas*|biomasse|geotherm*|wasserkraft*|"
    "grun* wasserstoff*",
    "smart-mobility": "*elektromobilitat*|*ladeinfrastruktur*|*ladestation*|*ladesaule*|"
    "elektroauto*|elektrofahrzeug*|e-auto*|carsharing|autonomes fahren|e-bus*|elektrobus*",
    "textile": "*textil*|*bekleidung*|mode|modebranche|modehandel|modeindustrie|wolle|"
    "baumwoll*|seide|schuhindustrie",
}

_ES = {
    "blue-energy": "energia eolica marina|eolica marina|eolico marino|eolica* marina* flotante*|energia* marina*|"
    "eolic* flotante*|eolicos marinos|eolicas marinas|"
    "energia undimotriz|energia mareomotriz|eolica offshore|eolico offshore",
    "cosmetics": "cosmetic*|perfum*|belleza|maquillaje",
    "digital": "digital*|software|ciberseguridad|inteligencia artificial|"
    "startups tecnologicas|empresas tecnologicas|computacion|informatic*|"
    "comercio electronico|telecomunicacion*",
    "energy": "energia|energias|petrol*|gas natural|hidrocarburo*|electricidad|nuclear|"
    "hidrogeno|refineria*|oleoducto*|gasoducto*|grupo energetico|grupos energeticos|"
    "empresa energetica|empresas energeticas|compania energetica|companias energeticas",
    "environmental-observation": "observacion de la tierra|teledeteccion|calidad del aire|"
    "monitoreo ambiental",
    "food": "aliment*|agroaliment*|agricol*|agricultur*|aceite de oliva|aceite*|oliva*|"
    "olivar*|vino|vinos|vinicol*|queso*|carne*|lacteo*|bebida*|fruta*|hortaliza*|jamon|"
    "pesquer*|conserva*|cacao|chocolate*|gastronom*",
    "food-innovation": "proteina* alternativa*|carne cultivada|foodtech",
    "healthcare": "salud|sanitari*|medico*|medica*|medicina*|medicamento*|farmac*|"
    "hospital*|biotecnolog*|vacuna*|clinic*",
    "high-tech": "aeroespacial*|aeronautic*|semiconductor*|microelectronic*|robotic*|"
    "robot*|fotonic*|alta tecnologia|electronic*|cuantic*|fabricante* de chips",
    "sustainable-hospitality": "turis*|hotel*|hotelero*|alojamiento*|hospedaje|"
    "cadena* de restaurantes|camping|campings|casas rurales|pernoctacion*|agroturismo",
    "maritime-observation": "vigilancia maritima|oceanografic*|boya*|sonar*|hidrografic*|"
    "seguimiento de buques|vigilancia costera",
    "media": "medios de comunicacion|audiovisual*|cine|television*|periodis*|"
    "radiodifus*|publicidad",
    "railway": "ferroviari*|ferrocarril*|tren|trenes|tranvia*|alta velocidad|renfe|adif|"
    "material rodante|locomotora*|vagon|vagones",
    "renewable-energy": "renovable*|energia* renovable*|eolic*|energia* eolica*|"
    "energia* solar*|solar*|fotovoltaic*|biomasa|biogas|geotermi*|hidroelectric*|"
    "hidrogeno verde|energia* limpia*",
    "smart-mobility": "movilidad electrica|vehiculo* electrico*|coche* electrico*|"
    "autobus* electrico*|punto* de recarga|estacion* de recarga|carsharing|patinete*|"
    "movilidad inteligente|conduccion autonoma",
    "textile": "textil*|confeccion|moda|ropa|prenda*|calzado|tejido*|algodon",
}

_IT = {
    "blue-energy": "eolico offshore|eolico marino|eolico* in mare|energia* marin*|eolic* galleggiant*|"
    "energia del moto ondoso|eolico off|eolico galleggiante",
    "cosmetics": "cosmetic*|cosmesi|profum*|bellezza|cosmoprof",
    "digital": "digital*|software|cybersicurezza|sicurezza informatica|"
    "intelligenza artificiale|informatic*|telecomunicazion*|e-commerce",
    "energy": "energia|energie|petroli*|gas naturale|idrocarbur*|elettricita|nucleare|"
    "idrogeno|raffineri*|gasdott*|oleodott*|gruppo energetico|gruppi energetici|"
    "colosso energetico|societa energetica|societa energetiche",
    "environmental-observation": "osservazione della terra|telerilevamento|"
    "qualita dell'aria|monitoraggio ambientale",
    "food": "aliment*|agroaliment*|agricol*|agricoltur*|vino|vini|vinicol*|spumant*|"
    "prosecco|bollicine|formaggi*|lattier*|carne|carni|bevand*|frutta|ortofrutt*|"
    "olio d'oliva|olio extravergine|pasta|kiwi|parmigiano|salumi|gastronom*|"
    "enogastronom*|cioccolat*|agrumi",
    "food-innovation": "proteine alternative|carne coltivata|foodtech",
    "healthcare": "sanita|sanitari*|salute|medic*|farmac*|ospedal*|biotecnolog*|"
    "dispositivi medici|vaccin*|clinic*",
    "high-tech": "aerospazi*|aeronautic*|spazial*|aviazione|armamenti|semicondutt*|"
    "microelettronic*|robotic*|robot|fotonic*|alta tecnologia|elettronic*|quantistic*|"
    "produttor* di chip",
    "sustainable-hospitality": "turis*|alberghi*|albergo|hotel*|ospitalita|"
    "strutture ricettive|ricettiv*|catena di ristoranti|catene di ristoranti|"
    "ristorazione|agrituris*|campegg*|pernottament*",
    "maritime-observation": "sorveglianza marittima|oceanografi*|sonar|idrografi*|"
    "tracciamento delle navi|monitoraggio del traffico marittimo",
    "media": "audiovisiv*|cinema*|televisi*|editoria*|giornalis*|radiotelevis*|"
    "pubblicit*|emittent*",
    "railway": "ferroviari*|ferrovi*|treno|treni|tram|tranvi*|alta velocita|trenitalia|"
    "materiale rotabile|locomotiv*|metropolitana|vagoni|carri merci",
    "renewable-energy": "rinnovabil*|energi* rinnovabil*|eolic*|solare|solari|"
    "fotovoltaic*|biomass*|biogas|geotermi*|idroelettric*|idrogeno verde|energia pulita",
    "smart-mobility": "mobilita elettrica|veicol* elettric*|auto elettric*|"
    "colonnin* di ricarica|punti di ricarica|car sharing|monopattin*|bus elettric*|"
    "autobus elettric*|guida autonoma",
    "textile": "tessil*|moda|abbigliamento|calzatur*|filati|lana|seta|cotone|"
    "tessile-moda|sistema moda",
}

# English keywords beyond sector_keywords.SECTOR_KEYWORDS: product words and sector
# words found missing in the development part and the examples.
_EN = {
    "cosmetics": "toiletries|beauty industry|L'Oreal|Estee Lauder|Sephora|Shiseido|Beiersdorf|L’Oreal",
    "digital": "cybercrime|cyberattack*|tech sector|technology sector|e-services|"
    "startup ecosystem|tech startup*|tech compan*|technology compan*|tech hub*|"
    "tech giant*|telecom|telecoms|telecommunications|internet|computing|unicorns|"
    "communications equipment|telecommunications equipment|network equipment",
    "energy": "oil output|oil production|oil field*|oilfield*|oil company|oil companies|"
    "hydrocarbon*|crude|gas field*|power generation|power station*|coal|Engie|EDF|"
    "TotalEnergies|Iberdrola|Enel|Endesa|RWE|Uniper|Vattenfall|Orsted|Equinor|Repsol|Eni",
    "environmental-observation": "satellite data|satellite images",
    "food": "agriculture|agricultural|agribusiness|agro-food|farming|farmer*|kiwifruit|kiwi|"
    "prosecco|feta|parmesan|champagne|cognac|whisky|whiskey|beef|pork|rice|wheat|grain*|"
    "sugar|cashew*|nuts|potato*|honey|salmon|tuna|shrimp|fish|avocado*|banana*|citrus|"
    "grocer*|gulfood|sial|olive*|milk|livestock|cattle|flour|juice*|cereal*|snack*|"
    "energy drink|energy shot|sports drink|soft drink|beverage*|yogurt|yoghurt|turkey|"
    "chile pepper|chili pepper|green chile|red chile|chile powder|distiller*",
    "healthcare": "medicine*|patient*|drugmaker*|biopharma*|clinic*|pharmacy chain*|"
    "pharmacies|nutraceutical*",
    "high-tech": "radar*|avionics|air traffic control|air show|airshow|aircraft|aviation|"
    "spacecraft|launch vehicle*|satellite manufactur*|satellite maker*|chipmaker*|"
    "chip maker*|chip making|microchip*|"
    "missile*|defense electronics|defence electronics|space industry|space agency|"
    "space agencies|Lockheed Martin|"
    "Raytheon|Northrop Grumman|BAE Systems|Thales|Dassault|Safran",
    "maritime-observation": "maritime domain awareness|unmanned surface vehicle*|"
    "ocean data|marine monitoring|maritime awareness|ship tracking|coastal surveillance|"
    "vessel monitoring|dark vessel*",
    "media": "newspaper*|magazine*|radio station*|news agenc*|entertainment industry|"
    "gaming|esports",
    "railway": "metro car*|subway|commuter train*|trains|railcar*|light rail|monorail|"
    "Alstom|Stadler|Talgo|Bombardier Transportation|Siemens Mobility|Trenitalia|Renfe|"
    "SNCF|Deutsche Bahn|Amtrak|freight wagon*|wagon fleet*|wagon leasing|LRV|"
    "light rail vehicle*",
    "renewable-energy": "solar park*|solar plant*|solar farm*|solar energy|windfarm*|clean power",
    "smart-mobility": "e-bus*|electric buses|mini-electric buses|electric car*|"
    "charging infrastructure|chargers",
    "sustainable-hospitality": "resort*|travel industry|accommodation|lodging|"
    "overnight stays|guest nights|restaurant chain*|restaurant group*|"
    "restaurant industry|restaurateur*|campsite*|campground*|holiday park*",
    "textile": "leather goods|shoes|handbag*|footwear|sneaker*|apparel|"
    "Nike|Adidas|Inditex|Zara|Primark|Uniqlo|H&M|Benetton|Foot Locker|Lululemon|Under Armour|"
    "Hugo Boss|Levi Strauss|Ralph Lauren|Tommy Hilfiger|Calvin Klein",
}

# Keywords by language (English: added to sector_keywords.SECTOR_KEYWORDS).
WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    language: {slug: _words(text) for slug, text in table.items()}
    for language, table in (("en", _EN), ("fr", _FR), ("de", _DE), ("es", _ES), ("it", _IT))
}

# English keywords that are other words in another language: read in English items only.
ENGLISH_ONLY = frozenset({"media", "AI", "film", "fabric", "tram", "rail", "fish"})

# Keywords that count only in lower case: "turkey" is the bird, "Turkey" the country; the
# olive words are also names ("Oliver", "Olivetti", "Pérez-Oliva", "Olivares") (sector_tags
# rule 9).
LOWER_CASE_ONLY = frozenset({"turkey", "olive*", "oliva*", "olivar*"})

# Words naming energy in general: not energy when the text is about renewable energy
# ("eco-friendly electricity" from a solar park).
GENERIC_ENERGY = frozenset(
    {
        "energy",
        "energie",
        "energies",
        "energia",
        "energias",
        "electricity",
        "electricite",
        "electricidad",
        "elettricita",
        "power plant",
        "strom",
        "energien",
        # an energy group named in a renewable energy item is not also energy
        "groupe energetique", "groupes energetiques", "geant de l'energie",
        "energeticien", "energeticiens", "energiekonzern", "energiekonzerns",
        "energiekonzerne", "grupo energetico", "grupos energeticos", "empresa energetica",
        "empresas energeticas", "compania energetica", "companias energeticas", "gruppo energetico",
        "gruppi energetici", "colosso energetico", "societa energetica", "engie", "edf",
        "totalenergies", "iberdrola", "enel", "endesa", "rwe", "uniper", "vattenfall",
        "orsted", "equinor", "repsol", "eni",
    }
)  # fmt: skip
