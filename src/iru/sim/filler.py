"""Hand-written neutral filler for the synthetic world: everyday words, names and chatter per language.

Everything here is ordinary, harmless vocabulary (weather, markets, transport, sport, family,
food) written in each language's own script. It carries no marker: markers are generated from
a seed in :mod:`iru.sim.vocabulary`, and the generator rejects any pseudo-word that occurs
anywhere in this module's text, so a bystander's chatter can never contain a marker by accident.
"""

from __future__ import annotations

#: Language code -> writing system of its filler.
SCRIPTS: dict[str, str] = {
    "ar": "arab",
    "en": "latn",
    "fr": "latn",
    "de": "latn",
    "tr": "latn",
    "ru": "cyrl",
    "fa": "pers",
}


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_WORDS: dict[str, str] = {
    "en": """
        rain sunny cloudy windy snow forecast umbrella storm warm cold breeze humid
        market prices shop discount groceries bakery coffee stocks shares savings budget rent salary
        bus train tram metro traffic bike taxi ticket platform station delay road
        football match goal league coach team stadium tennis running score referee
        family kids grandma cousins birthday wedding neighbours school homework weekend
        bread tomatoes soup rice lunch dinner breakfast cake tea oranges cheese pizza
    """,
    "fr": """
        pluie soleil nuageux vent neige météo parapluie orage chaleur froid brise
        marché prix boutique soldes courses boulangerie café bourse épargne budget loyer salaire
        bus train tramway métro bouchons vélo taxi billet quai gare retard route
        football match but championnat entraîneur équipe stade tennis course score arbitre
        famille enfants mamie cousins anniversaire mariage voisins école devoirs week-end
        pain tomates soupe riz déjeuner dîner petit-déjeuner gâteau thé oranges fromage crêpes
    """,
    "de": """
        Regen sonnig bewölkt windig Schnee Wetterbericht Regenschirm Gewitter warm kalt Brise
        Markt Preise Laden Rabatt Einkauf Bäckerei Kaffee Börse Sparen Haushalt Miete Gehalt
        Bus Zug Straßenbahn U-Bahn Stau Fahrrad Taxi Fahrkarte Bahnsteig Bahnhof Verspätung Straße
        Fußball Spiel Tor Liga Trainer Mannschaft Stadion Tennis Laufen Ergebnis Schiedsrichter
        Familie Kinder Oma Cousins Geburtstag Hochzeit Nachbarn Schule Hausaufgaben Wochenende
        Brot Tomaten Suppe Reis Mittagessen Abendessen Frühstück Kuchen Tee Orangen Käse Brezel
    """,
    "tr": """
        yağmur güneşli bulutlu rüzgarlı kar hava şemsiye fırtına sıcak soğuk esinti
        pazar fiyatlar dükkan indirim alışveriş fırın kahve borsa birikim bütçe kira maaş
        otobüs tren tramvay metro trafik bisiklet taksi bilet peron istasyon gecikme yol
        futbol maç gol lig antrenör takım stadyum tenis koşu skor hakem
        aile çocuklar babaanne kuzenler doğumgünü düğün komşular okul ödev haftasonu
        ekmek domates çorba pilav öğle akşam kahvaltı pasta çay portakal peynir simit
    """,
    "ru": """
        дождь солнечно облачно ветрено снег прогноз зонт гроза тепло холодно ветерок
        рынок цены магазин скидка продукты пекарня кофе биржа сбережения бюджет аренда зарплата
        автобус поезд трамвай метро пробки велосипед такси билет платформа вокзал задержка дорога
        футбол матч гол лига тренер команда стадион теннис бег счёт судья
        семья дети бабушка родственники праздник свадьба соседи школа уроки выходные
        хлеб помидоры суп рис обед ужин завтрак торт чай апельсины сыр блины
    """,
    "ar": """
        مطر مشمس غائم رياح ثلج الطقس مظلة عاصفة دافئ بارد نسيم
        سوق أسعار متجر تخفيضات مشتريات مخبز قهوة البورصة ادخار ميزانية إيجار راتب
        حافلة قطار ترام مترو زحام دراجة تاكسي تذكرة رصيف محطة تأخير طريق
        كرة مباراة هدف الدوري المدرب الفريق الملعب تنس جري النتيجة الحكم
        عائلة الأطفال الجدة الأقارب حفلة زفاف الجيران المدرسة الواجبات العطلة
        خبز طماطم شوربة أرز غداء عشاء فطور كعكة شاي برتقال جبن فلافل
    """,
    "fa": """
        باران آفتابی ابری بادی برف هواشناسی چتر طوفان گرم سرد نسیم
        بازار قیمت‌ها مغازه تخفیف خرید نانوایی قهوه بورس پس‌انداز بودجه اجاره حقوق
        اتوبوس قطار تراموا مترو ترافیک دوچرخه تاکسی بلیت سکو ایستگاه تأخیر جاده
        فوتبال مسابقه گل لیگ مربی تیم ورزشگاه تنیس دویدن نتیجه داور
        خانواده بچه‌ها مادربزرگ پسرعمو تولد عروسی همسایه‌ها مدرسه تکلیف آخرهفته
        نان گوجه سوپ برنج ناهار شام صبحانه کیک چای پرتقال پنیر کباب
    """,
}

#: Everyday words per language, each in that language's script.
WORDS: dict[str, tuple[str, ...]] = {lang: _split(text) for lang, text in _WORDS.items()}

#: Everyday hashtags (without '#') that ordinary people use.
NEUTRAL_TAGS: dict[str, tuple[str, ...]] = {
    "en": ("MondayMood", "coffee", "weekend", "rainyday", "matchday", "foodie", "commute"),
    "fr": ("météo", "weekend", "café", "foot", "famille", "cuisine", "lundi"),
    "de": ("Wetter", "Wochenende", "Kaffee", "Fußball", "Familie", "Frühstück", "Montag"),
    "tr": ("hava", "haftasonu", "kahve", "futbol", "aile", "kahvaltı", "pazartesi"),
    "ru": ("погода", "выходные", "кофе", "футбол", "семья", "завтрак", "понедельник"),
    "ar": ("الطقس", "عطلة_نهاية_الأسبوع", "قهوة", "كرة_القدم", "العائلة", "فطور", "الاثنين"),
    "fa": ("هواشناسی", "آخر_هفته", "قهوه", "فوتبال", "خانواده", "صبحانه", "دوشنبه"),
}

#: Given names per language.
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _split("James Emma Oliver Sophie Daniel Grace Thomas Chloe Michael Hannah Ryan Lucy"),
    "fr": _split("Camille Louis Chloé Hugo Léa Julien Manon Antoine Sarah Mathieu Inès Théo"),
    "de": _split("Lukas Anna Jonas Lea Felix Marie Paul Sophie Jan Laura Moritz Jana"),
    "tr": _split("Mehmet Ayşe Emre Zeynep Burak Elif Can Selin Murat Deniz Kerem Ece"),
    "ru": _split("Алексей Мария Дмитрий Анна Иван Ольга Сергей Екатерина Никита Татьяна"),
    "ar": _split("أحمد فاطمة محمد مريم يوسف سارة عمر ليلى خالد نور سلمى كريم"),
    "fa": _split("علی زهرا رضا مریم حسین سارا امیر نگار مهدی لیلا پریسا کاوه"),
}

#: Family names per language (forms that do not change with gender).
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _split("Walker Bennett Hughes Carter Morgan Price Turner Ellis Foster Reed"),
    "fr": _split("Martin Bernard Dubois Moreau Laurent Girard Lefèvre Fontaine Rousseau Garnier"),
    "de": _split("Müller Schmidt Schneider Fischer Weber Becker Wagner Hoffmann Schulz Koch"),
    "tr": _split("Yılmaz Kaya Demir Şahin Çelik Aydın Öztürk Arslan Doğan Kılıç"),
    "ru": _split("Шевченко Коваленко Бондаренко Ткаченко Кравченко Черных Белых Ким Савченко"),
    "ar": _split("الحسن العلي حداد خليل منصور ناصر سليمان عيسى الخطيب النجار"),
    "fa": _split("احمدی رضایی محمدی حسینی کریمی موسوی جعفری رحیمی کاظمی صادقی"),
}

#: Ordinary chatter: '{f}' takes neutral filler words.
CHATTER: dict[str, tuple[str, ...]] = {
    "en": (
        "Rain again this morning, {f}",
        "Anyone else stuck in traffic? {f}",
        "Market prices are up again: {f}",
        "What a match last night! {f}",
        "Sunday lunch with the family: {f}",
        "Quick update: {f}",
        "{f}",
    ),
    "fr": (
        "Encore de la pluie ce matin, {f}",
        "Quelqu'un d'autre coincé dans les bouchons ? {f}",
        "Les prix au marché ont encore augmenté : {f}",
        "Quel match hier soir ! {f}",
        "Déjeuner du dimanche en famille : {f}",
        "Petite nouvelle : {f}",
        "{f}",
    ),
    "de": (
        "Schon wieder Regen heute Morgen, {f}",
        "Steht noch jemand im Stau? {f}",
        "Die Preise auf dem Markt sind wieder gestiegen: {f}",
        "Was für ein Spiel gestern Abend! {f}",
        "Sonntagsessen mit der Familie: {f}",
        "Kurzes Update: {f}",
        "{f}",
    ),
    "tr": (
        "Bu sabah yine yağmur, {f}",
        "Trafikte kalan başka var mı? {f}",
        "Pazarda fiyatlar yine arttı: {f}",
        "Dün akşam ne maçtı! {f}",
        "Pazar günü aileyle öğle yemeği: {f}",
        "Kısa bir haber: {f}",
        "{f}",
    ),
    "ru": (
        "Опять дождь с утра, {f}",
        "Кто ещё стоит в пробке? {f}",
        "Цены на рынке снова выросли: {f}",
        "Какой вчера был матч! {f}",
        "Воскресный обед с семьёй: {f}",
        "Коротко: {f}",
        "{f}",
    ),
    "ar": (
        "مطر مرة أخرى هذا الصباح، {f}",
        "هل هناك من عالق في الزحام أيضًا؟ {f}",
        "الأسعار في السوق ارتفعت مجددًا: {f}",
        "يا لها من مباراة أمس! {f}",
        "غداء يوم الجمعة مع العائلة: {f}",
        "باختصار: {f}",
        "{f}",
    ),
    "fa": (
        "باز هم امروز صبح باران، {f}",
        "کسی دیگر هم در ترافیک مانده؟ {f}",
        "قیمت‌ها در بازار دوباره بالا رفت: {f}",
        "دیشب چه بازی‌ای بود! {f}",
        "ناهار جمعه با خانواده: {f}",
        "خلاصه: {f}",
        "{f}",
    ),
}

#: Emoji anyone might use.
EVERYDAY_EMOJI: tuple[str, ...] = (
    "☀️", "🌧️", "⚽", "☕", "🍞", "🚌", "😂", "🙏", "👍", "📈", "🎉", "🍰", "👀", "📸", "😅",
)  # fmt: skip

#: Emoji seen around release announcements (neutral symbols: folders, arrows, links).
RELEASE_EMOJI: tuple[str, ...] = ("📁", "🔗", "📢", "🎬", "🆕", "⬇️", "✦", "🔻", "📌")


def handwritten_texts() -> tuple[str, ...]:
    """Every hand-written string of this module, for safety scans and marker rejection."""
    out: list[str] = []
    for table in (WORDS, NEUTRAL_TAGS, FIRST_NAMES, LAST_NAMES, CHATTER):
        for entries in table.values():
            out.extend(entries)
    out.extend(EVERYDAY_EMOJI)
    out.extend(RELEASE_EMOJI)
    return tuple(out)
