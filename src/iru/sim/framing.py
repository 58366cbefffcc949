"""Hand-written framing templates: how hard negatives, supporters and institutions phrase things.

Hard negatives (journalists, researchers, officials, counter-speech accounts) quote the same
markers supporters post, inside news, research, warning or debunking framing. Slots, filled by
:class:`iru.sim.content.ContentGenerator`:

``{outlet}`` invented outlet name, ``{tag}`` release tag, ``{ht}`` '#hashtag', ``{phrase}``
generated marker phrase, ``{domain}`` invented domain, ``{url}`` the author's own (non-marker)
link, ``{handle}`` an account handle, ``{f}`` neutral filler words. Entity patterns take ``{r}``,
an invented name. Nothing here names a real group, outlet, slogan or call.
"""

from __future__ import annotations

HardNegativeTemplates = dict[str, dict[str, tuple[str, ...]]]

#: kind -> language -> templates. Every template quotes at least one marker slot.
HARD_NEGATIVE: HardNegativeTemplates = {
    "journalist": {
        "en": (
            "{outlet} pushed out {tag} overnight; our desk is tracking the {ht} hashtag. {f}",
            "Reporting: accounts sharing {tag} from {outlet} surged today, several already removed. {f}",
            "New in our coverage: how the {ht} campaign spreads {outlet} material. {f} {url}",
            "Breaking: platforms remove links to {domain} after {tag} appeared. {f}",
        ),
        "fr": (
            "{outlet} a publié {tag} cette nuit ; notre rédaction suit le hashtag {ht}. {f}",
            "Enquête : les comptes qui relaient {tag} de {outlet} se multiplient. {f}",
            "Notre reportage sur la campagne {ht} et les contenus de {outlet}. {f} {url}",
            "Dernière minute : les plateformes retirent les liens vers {domain} après {tag}. {f}",
        ),
        "de": (
            "{outlet} hat über Nacht {tag} veröffentlicht; unsere Redaktion verfolgt {ht}. {f}",
            "Recherche: Konten, die {tag} von {outlet} teilen, nehmen zu, mehrere gesperrt. {f}",
            "Unser Bericht über die Kampagne {ht} und Inhalte von {outlet}. {f} {url}",
            "Eilmeldung: Plattformen entfernen Links zu {domain} nach {tag}. {f}",
        ),
        "tr": (
            "{outlet} gece {tag} yayımladı; haber masamız {ht} etiketini takip ediyor. {f}",
            "Haber: {outlet} kaynaklı {tag} paylaşan hesaplar arttı, birçoğu kaldırıldı. {f}",
            "{ht} kampanyası ve {outlet} içerikleri üzerine haberimiz. {f} {url}",
            "Son dakika: platformlar {tag} sonrası {domain} bağlantılarını kaldırıyor. {f}",
        ),
        "ru": (
            "{outlet} ночью выпустил {tag}; наша редакция следит за хештегом {ht}. {f}",
            "Репортаж: аккаунтов, распространяющих {tag} от {outlet}, всё больше. {f}",
            "Наш материал о кампании {ht} и контенте {outlet}. {f} {url}",
            "Срочно: платформы удаляют ссылки на {domain} после {tag}. {f}",
        ),
        "ar": (
            "نشرت {outlet} الإصدار {tag} الليلة الماضية، وفريق التحرير يتابع وسم {ht}. {f}",
            "تقرير: تزايد الحسابات التي تنشر {tag} من {outlet}، وحُذف بعضها. {f}",
            "تغطيتنا لحملة {ht} ومحتوى {outlet}. {f} {url}",
            "عاجل: المنصات تحذف روابط {domain} بعد ظهور {tag}. {f}",
        ),
        "fa": (
            "{outlet} دیشب {tag} را منتشر کرد؛ تحریریه ما هشتگ {ht} را دنبال می‌کند. {f}",
            "گزارش: حساب‌هایی که {tag} از {outlet} را بازنشر می‌کنند بیشتر شده‌اند. {f}",
            "پوشش خبری ما درباره کارزار {ht} و محتوای {outlet}. {f} {url}",
            "فوری: پلتفرم‌ها پیوندهای {domain} را پس از {tag} حذف می‌کنند. {f}",
        ),
    },
    "researcher": {
        "en": (
            "Thread: we tracked the {outlet} release {tag} across 40 accounts; {ht} hijacks trends. {f}",
            "Researchers archived {tag} ({outlet}) for analysis; the file links point to {domain}. {f}",
            "Our dataset shows {ht} spiking again, mostly re-shares of {outlet} material. {f}",
            "New paper on how {outlet} recycles phrasing like '{phrase}'. {f} {url}",
        ),
        "fr": (
            "Fil : nous avons suivi la publication {tag} de {outlet} sur 40 comptes ; {ht} détourne les tendances. {f}",
            "Chercheurs : {tag} ({outlet}) archivé pour analyse, les liens pointent vers {domain}. {f}",
            "Nos données montrent un pic de {ht}, surtout des partages de contenus {outlet}. {f}",
            "Nouvelle étude : comment {outlet} recycle des formules comme « {phrase} ». {f} {url}",
        ),
        "de": (
            "Thread: Wir haben {tag} von {outlet} über 40 Konten verfolgt; {ht} kapert Trends. {f}",
            "Forschende haben {tag} ({outlet}) zur Analyse archiviert; die Links führen zu {domain}. {f}",
            "Unser Datensatz zeigt erneut einen Anstieg von {ht}, meist Material von {outlet}. {f}",
            "Neue Studie: Wie {outlet} Formeln wie „{phrase}“ wiederverwendet. {f} {url}",
        ),
        "tr": (
            "Flood: {outlet} kaynaklı {tag} yayınını 40 hesapta izledik; {ht} gündemi ele geçiriyor. {f}",
            "Araştırmacılar {tag} ({outlet}) içeriğini analiz için arşivledi; bağlantılar {domain} adresine gidiyor. {f}",
            "Veri setimiz {ht} etiketinde yeni bir artış gösteriyor, çoğu {outlet} içeriği. {f}",
            "Yeni çalışma: {outlet} « {phrase} » gibi kalıpları nasıl yeniden kullanıyor. {f} {url}",
        ),
        "ru": (
            "Тред: мы отследили выпуск {tag} от {outlet} в 40 аккаунтах; {ht} захватывает тренды. {f}",
            "Исследователи архивировали {tag} ({outlet}) для анализа; ссылки ведут на {domain}. {f}",
            "Наши данные показывают новый всплеск {ht}, в основном репосты материалов {outlet}. {f}",
            "Новое исследование: как {outlet} повторяет формулы вроде «{phrase}». {f} {url}",
        ),
        "ar": (
            "سلسلة: تتبعنا الإصدار {tag} من {outlet} عبر 40 حسابًا، ويُستخدم {ht} لاختطاف الترند. {f}",
            "باحثون أرشفوا {tag} ({outlet}) لأغراض التحليل، والروابط تشير إلى {domain}. {f}",
            "بياناتنا تُظهر ارتفاعًا جديدًا في {ht}، ومعظمه إعادة نشر لمواد {outlet}. {f}",
            "دراسة جديدة: كيف تعيد {outlet} تدوير عبارات مثل «{phrase}». {f} {url}",
        ),
        "fa": (
            "رشته: انتشار {tag} از {outlet} را در ۴۰ حساب ردیابی کردیم؛ {ht} ترندها را می‌رباید. {f}",
            "پژوهشگران {tag} ({outlet}) را برای تحلیل بایگانی کردند؛ پیوندها به {domain} می‌رسند. {f}",
            "داده‌های ما جهش تازه‌ای در {ht} نشان می‌دهد، بیشتر بازنشر محتوای {outlet}. {f}",
            "پژوهش تازه: {outlet} چگونه عبارت‌هایی مانند «{phrase}» را بازیافت می‌کند. {f} {url}",
        ),
    },
    "official": {
        "en": (
            "Authorities warn: do not share {tag} or posts tagged {ht}. Report them to {url} {f}",
            "Official notice: material from {outlet} is circulating under {ht}. Report it at {url}",
            "Police advice: if you see {ht} links to {domain}, do not open them, report to {url} {f}",
        ),
        "fr": (
            "Les autorités appellent à ne pas partager {tag} ni les messages {ht}. Signalez-les sur {url} {f}",
            "Communiqué officiel : des contenus de {outlet} circulent sous {ht}. Signalez-les sur {url}",
            "Conseil de la police : liens {domain} sous {ht}, ne les ouvrez pas, signalez-les sur {url} {f}",
        ),
        "de": (
            "Die Behörden warnen: {tag} und Beiträge mit {ht} nicht teilen. Bitte melden unter {url} {f}",
            "Offizieller Hinweis: Material von {outlet} kursiert unter {ht}. Melden Sie es unter {url}",
            "Hinweis der Polizei: Links zu {domain} unter {ht} nicht öffnen, sondern melden: {url} {f}",
        ),
        "tr": (
            "Yetkililer uyarıyor: {tag} ve {ht} etiketli gönderileri paylaşmayın. Bildirin: {url} {f}",
            "Resmi duyuru: {outlet} içerikleri {ht} etiketiyle dolaşıyor. Bildirin: {url}",
            "Polis uyarısı: {ht} altında {domain} bağlantılarını açmayın, bildirin: {url} {f}",
        ),
        "ru": (
            "Власти предупреждают: не распространяйте {tag} и посты с {ht}. Сообщайте: {url} {f}",
            "Официальное сообщение: материалы {outlet} распространяются под {ht}. Сообщите: {url}",
            "Полиция советует: не открывайте ссылки на {domain} под {ht}, сообщите: {url} {f}",
        ),
        "ar": (
            "تحذير من السلطات: لا تشاركوا {tag} أو المنشورات الموسومة {ht}. أبلغوا عبر {url} {f}",
            "بيان رسمي: مواد {outlet} متداولة تحت وسم {ht}. أبلغوا عنها عبر {url}",
            "نصيحة من الشرطة: لا تفتحوا روابط {domain} تحت {ht}، وأبلغوا عبر {url} {f}",
        ),
        "fa": (
            "هشدار مقامات: {tag} و پست‌های دارای {ht} را هم‌رسانی نکنید. گزارش دهید: {url} {f}",
            "اطلاعیه رسمی: محتوای {outlet} با {ht} در حال انتشار است. گزارش دهید: {url}",
            "توصیه پلیس: پیوندهای {domain} زیر {ht} را باز نکنید و گزارش دهید: {url} {f}",
        ),
    },
    "counter_speech": {
        "en": (
            "This is recycled propaganda from {outlet}. Don't share {ht}, report it. {f}",
            "Fact-check: the {tag} video is old propaganda. Report, don't share. {f}",
            "Seeing {ht} in your feed? Don't amplify it, report the account. {f}",
            "Don't click {domain} links. Recycled propaganda, report it. {f}",
        ),
        "fr": (
            "C'est de la propagande recyclée de {outlet}. Ne partagez pas {ht}, signalez. {f}",
            "Vérification : la vidéo {tag} est une vieille propagande. Signalez, ne partagez pas. {f}",
            "Vous voyez {ht} dans votre fil ? Ne l'amplifiez pas, signalez le compte. {f}",
            "Ne cliquez pas sur les liens {domain}. Propagande recyclée, signalez-la. {f}",
        ),
        "de": (
            "Das ist recycelte Propaganda von {outlet}. {ht} nicht teilen, sondern melden. {f}",
            "Faktencheck: Das Video {tag} ist alte Propaganda. Melden statt teilen. {f}",
            "Du siehst {ht} in deinem Feed? Nicht verstärken, das Konto melden. {f}",
            "Keine Links zu {domain} anklicken. Recycelte Propaganda, bitte melden. {f}",
        ),
        "tr": (
            "Bu, {outlet} kaynaklı geri dönüştürülmüş propaganda. {ht} paylaşmayın, bildirin. {f}",
            "Doğrulama: {tag} videosu eski bir propaganda. Paylaşmayın, bildirin. {f}",
            "Akışında {ht} mı görüyorsun? Yayılmasına yardım etme, hesabı bildir. {f}",
            "{domain} bağlantılarına tıklamayın. Eski propaganda, bildirin. {f}",
        ),
        "ru": (
            "Это переработанная пропаганда {outlet}. Не распространяйте {ht}, пожалуйтесь. {f}",
            "Проверка фактов: видео {tag} — старая пропаганда. Жалуйтесь, не репостите. {f}",
            "Видите {ht} в ленте? Не усиливайте, пожалуйтесь на аккаунт. {f}",
            "Не переходите по ссылкам {domain}. Это старая пропаганда, пожалуйтесь. {f}",
        ),
        "ar": (
            "هذه دعاية معاد تدويرها من {outlet}. لا تشاركوا {ht}، أبلغوا عنها. {f}",
            "تحقق: فيديو {tag} دعاية قديمة. أبلغوا ولا تشاركوا. {f}",
            "هل ترى {ht} في صفحتك؟ لا تساهم في نشره، أبلغ عن الحساب. {f}",
            "لا تضغطوا على روابط {domain}. دعاية قديمة، أبلغوا عنها. {f}",
        ),
        "fa": (
            "این تبلیغات بازیافتی {outlet} است. {ht} را هم‌رسانی نکنید، گزارش دهید. {f}",
            "راستی‌آزمایی: ویدئوی {tag} تبلیغات قدیمی است. گزارش دهید، هم‌رسانی نکنید. {f}",
            "{ht} را در صفحه‌تان می‌بینید؟ آن را تقویت نکنید، حساب را گزارش دهید. {f}",
            "روی پیوندهای {domain} کلیک نکنید. تبلیغات بازیافتی است، گزارش دهید. {f}",
        ),
    },
}

#: kind -> language -> framing cues: every template of that kind contains at least one
#: (case-insensitive). Tests and detectors can use them as the "framing words".
FRAMING_CUES: dict[str, dict[str, tuple[str, ...]]] = {
    "journalist": {
        "en": ("desk", "reporting", "coverage", "breaking"),
        "fr": ("rédaction", "enquête", "reportage", "dernière minute"),
        "de": ("redaktion", "recherche", "bericht", "eilmeldung"),
        "tr": ("haber", "son dakika"),
        "ru": ("редакция", "репортаж", "материал", "срочно"),
        "ar": ("التحرير", "تقرير", "تغطيت", "عاجل"),
        "fa": ("تحریریه", "گزارش", "پوشش خبری", "فوری"),
    },
    "researcher": {
        "en": ("thread", "researchers", "dataset", "paper"),
        "fr": ("fil", "chercheurs", "données", "étude"),
        "de": ("thread", "forschende", "datensatz", "studie"),
        "tr": ("izledik", "araştırmacı", "veri", "çalışma"),
        "ru": ("тред", "исследова", "данные"),
        "ar": ("تتبعنا", "باحث", "بيانات", "دراسة"),
        "fa": ("ردیابی", "پژوهش", "داده"),
    },
    "official": {
        "en": ("authorities", "official", "police"),
        "fr": ("autorités", "officiel", "police"),
        "de": ("behörden", "offiziell", "polizei"),
        "tr": ("yetkililer", "resmi", "polis"),
        "ru": ("власти", "официальн", "полиция"),
        "ar": ("السلطات", "رسمي", "الشرطة"),
        "fa": ("مقامات", "رسمی", "پلیس"),
    },
    "counter_speech": {
        "en": ("propaganda", "report", "don't amplify"),
        "fr": ("propagande", "signalez"),
        "de": ("propaganda", "melden"),
        "tr": ("propaganda", "bildir"),
        "ru": ("пропаганда", "пожалуйтесь"),
        "ar": ("دعاية", "أبلغ"),
        "fa": ("تبلیغات", "گزارش دهید"),
    },
}

#: A supporter announcing a suspended friend's new account; '{handle}' has no '@'.
SHOUT_OUT: dict[str, tuple[str, ...]] = {
    "en": (
        "{phrase} 👉 @{handle} new account, please follow {f}",
        "Our friend is back as @{handle}. {phrase} Follow and share {f}",
        "{phrase} @{handle} follow 🔁 {f}",
    ),
    "fr": (
        "{phrase} 👉 @{handle} nouveau compte, abonnez-vous {f}",
        "Notre ami est de retour : @{handle}. {phrase} Abonnez-vous et partagez {f}",
        "{phrase} @{handle} abonnez-vous 🔁 {f}",
    ),
    "de": (
        "{phrase} 👉 @{handle} neues Konto, bitte folgen {f}",
        "Unser Freund ist zurück als @{handle}. {phrase} Folgen und teilen {f}",
        "{phrase} @{handle} folgen 🔁 {f}",
    ),
    "tr": (
        "{phrase} 👉 @{handle} yeni hesap, takip edin {f}",
        "Arkadaşımız geri döndü: @{handle}. {phrase} Takip edin ve paylaşın {f}",
        "{phrase} @{handle} takip 🔁 {f}",
    ),
    "ru": (
        "{phrase} 👉 @{handle} новый аккаунт, подписывайтесь {f}",
        "Наш друг вернулся: @{handle}. {phrase} Подписывайтесь и делитесь {f}",
        "{phrase} @{handle} подписка 🔁 {f}",
    ),
    "ar": (
        "{phrase} 👈 @{handle} حساب جديد، تابعوه {f}",
        "صديقنا عاد باسم @{handle}. {phrase} تابعوا وانشروا {f}",
        "{phrase} @{handle} متابعة 🔁 {f}",
    ),
    "fa": (
        "{phrase} 👈 @{handle} حساب جدید، دنبال کنید {f}",
        "دوست ما برگشت: @{handle}. {phrase} دنبال کنید و هم‌رسانی کنید {f}",
        "{phrase} @{handle} دنبال کنید 🔁 {f}",
    ),
}

#: role -> language -> bio template for the hard-negative roles. Slots: {newsroom},
#: {institute}, {agency}, {project} (invented names) and {f}.
BIO: dict[str, dict[str, str]] = {
    "journalist": {
        "en": "Reporter at {newsroom}. Covering {f}. Views my own.",
        "fr": "Journaliste à {newsroom}. Je couvre {f}. Avis personnels.",
        "de": "Reporterin bei {newsroom}. Themen: {f}. Meinung privat.",
        "tr": "{newsroom} muhabiri. Konular: {f}. Görüşler kişiseldir.",
        "ru": "Корреспондент: {newsroom}. Пишу про {f}. Мнение личное.",
        "ar": "مراسل في {newsroom}. أغطي {f}. الآراء شخصية.",
        "fa": "خبرنگار {newsroom}. درباره {f} می‌نویسم. نظرات شخصی است.",
    },
    "researcher": {
        "en": "Researcher of online extremism at {institute}. {f}",
        "fr": "Chercheuse sur l'extrémisme en ligne, {institute}. {f}",
        "de": "Forscher zu Online-Extremismus, {institute}. {f}",
        "tr": "Çevrimiçi aşırıcılık araştırmacısı, {institute}. {f}",
        "ru": "Исследователь онлайн-экстремизма, {institute}. {f}",
        "ar": "باحث في التطرف على الإنترنت، {institute}. {f}",
        "fa": "پژوهشگر افراط‌گرایی آنلاین، {institute}. {f}",
    },
    "official": {
        "en": "Official account of the {agency}. Not monitored 24/7.",
        "fr": "Compte officiel : {agency}. Non surveillé 24h/24.",
        "de": "Offizieller Account: {agency}. Nicht rund um die Uhr betreut.",
        "tr": "{agency} resmi hesabı. 7/24 takip edilmez.",
        "ru": "Официальный аккаунт: {agency}. Не отслеживается круглосуточно.",
        "ar": "الحساب الرسمي: {agency}. لا تتم مراقبته على مدار الساعة.",
        "fa": "حساب رسمی {agency}. به‌صورت شبانه‌روزی پایش نمی‌شود.",
    },
    "counter_speech": {
        "en": "{project}: countering online hate and propaganda. Report, don't share.",
        "fr": "{project} : contre la haine et la propagande en ligne. Signalez, ne partagez pas.",
        "de": "{project}: gegen Hass und Propaganda im Netz. Melden statt teilen.",
        "tr": "{project}: çevrimiçi nefret ve propagandaya karşı. Paylaşmayın, bildirin.",
        "ru": "{project}: против ненависти и пропаганды в сети. Жалуйтесь, не репостите.",
        "ar": "{project}: لمواجهة الكراهية والدعاية على الإنترنت. أبلغوا ولا تشاركوا.",
        "fa": "{project}: مقابله با نفرت و تبلیغات آنلاین. گزارش دهید، هم‌رسانی نکنید.",
    },
}

#: entity kind -> language -> name pattern; '{r}' is an invented name in the language's script.
ENTITY: dict[str, dict[str, str]] = {
    "agency": {
        "en": "{r} Online Safety Office",
        "fr": "Office {r} de sécurité en ligne",
        "de": "{r} Amt für Online-Sicherheit",
        "tr": "{r} Çevrimiçi Güvenlik Ofisi",
        "ru": "Управление онлайн-безопасности {r}",
        "ar": "مكتب {r} للسلامة الرقمية",
        "fa": "دفتر امنیت آنلاین {r}",
    },
    "newsroom": {
        "en": "The {r} Daily",
        "fr": "Le Quotidien de {r}",
        "de": "{r} Zeitung",
        "tr": "{r} Gazetesi",
        "ru": "Газета {r}",
        "ar": "صحيفة {r}",
        "fa": "روزنامه {r}",
    },
    "institute": {
        "en": "{r} Institute for Digital Research",
        "fr": "Institut {r} de recherche numérique",
        "de": "{r} Institut für Digitalforschung",
        "tr": "{r} Dijital Araştırma Enstitüsü",
        "ru": "Институт цифровых исследований {r}",
        "ar": "معهد {r} للبحوث الرقمية",
        "fa": "مؤسسه پژوهش دیجیتال {r}",
    },
    "project": {
        "en": "{r} Facts",
        "fr": "{r} Vérif",
        "de": "{r} Faktencheck",
        "tr": "{r} Doğrula",
        "ru": "{r} Проверка",
        "ar": "منصة {r} للتحقق",
        "fa": "راستی‌آزمایی {r}",
    },
}

#: Outlet-name descriptor per language, e.g. "<name> Media".
OUTLET_DESCRIPTOR: dict[str, str] = {
    "en": "Media",
    "fr": "Média",
    "de": "Medien",
    "tr": "Medya",
    "ru": "Медиа",
    "ar": "ميديا",
    "fa": "مدیا",
}

#: Neutral English event words for invented trending tags (e.g. "<name>Cup").
EVENT_WORDS: tuple[str, ...] = (
    "Cup",
    "Derby",
    "Marathon",
    "Fest",
    "Open",
    "Rally",
    "Expo",
    "Final",
)

#: The same idea in Arabic and Persian script, and in Cyrillic.
EVENT_WORDS_SCRIPT: dict[str, tuple[str, ...]] = {
    "arab": ("كأس", "ماراثون", "مهرجان", "نهائي"),
    "pers": ("جام", "ماراتن", "جشنواره", "فینال"),
    "cyrl": ("Кубок", "Марафон", "Фест", "Финал"),
}


def handwritten_texts() -> tuple[str, ...]:
    """Every hand-written string of this module, for safety scans and marker rejection."""
    out: list[str] = []
    for kinds in (HARD_NEGATIVE, FRAMING_CUES):
        for per_lang in kinds.values():
            for entries in per_lang.values():
                out.extend(entries)
    for shout in SHOUT_OUT.values():
        out.extend(shout)
    for table in (BIO, ENTITY):
        for per_lang_str in table.values():
            out.extend(per_lang_str.values())
    out.extend(OUTLET_DESCRIPTOR.values())
    out.extend(EVENT_WORDS)
    for words in EVENT_WORDS_SCRIPT.values():
        out.extend(words)
    return tuple(out)
