"""Demo news of Flensburg, written after the source texts: the association of parent
initiatives about itself and its Fachtag, the network against child poverty about its kick-off,
the foundation's programme call with free places, and the Jugendamt's post for families in
their languages. Idempotent: keyed by organisation and title."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

from auditlog.context import set_actor
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from lotse.core.demo import DemoContext

from .models import File, Post, PostTopic, PostTranslation, Subscription, Topic


@dataclass
class DemoPost:
    organisation: str
    author: str
    title: str
    teaser: str
    body: str
    topics: list[str]
    days_ago: int
    audience: str = Post.Audience.PUBLIC
    event_title: str = ""
    call_title: str = ""
    network: bool = False
    image: tuple[str, str] | None = None  # (colour theme, alternative text)
    translations: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    draft: bool = False


VERBAND = DemoPost(
    "elterninitiativen-sh",
    "verband",
    "Wer wir sind: der Verband der Elterninitiativen",
    "Beratung, Fortbildung und eine starke Stimme für die selbstorganisierte "
    "Kinderbetreuung in Schleswig-Holstein.",
    """Der Verband der Elterninitiativen Schleswig-Holstein ist der Zusammenschluss der
Elterninitiativen und Mittagsbetreuungen im Land. Gemeinsam mit den Eltern wollen wir die
Erziehung und Bildung von Kindern fördern.

## Beratung und Fortbildung

Wir beraten Eltern und Mitarbeitende in Elterninitiativen in allen Fragen der
Kinderbetreuung und der Selbstorganisation – von der Vorstandsarbeit bis zur
Betriebserlaubnis. Unser **Fortbildungsprogramm** hilft, die Qualität der Betreuung
weiterzuentwickeln.

- Fachberatung für Elterninitiativen
- Fachberatung für Mittagsbetreuungen
- Fortbildungen für pädagogische Fachkräfte und Vorstände

## Interessenvertretung

Wir machen uns in Politik und Gesellschaft für die Elterninitiativen stark. Parteien,
Verbände, Kreistage und Verwaltung sind dabei unsere wichtigsten Ansprechpartner.""",
    [Topic.CHILDCARE, Topic.POLICY],
    40,
)

FACHTAG_EKIZ = DemoPost(
    "elterninitiativen-sh",
    "verband",
    "Fachtag „Mit den Kommunen – für die Kommunen“: jetzt anmelden",
    "Modellstandorte zeigen, wie aus Kitas Eltern-Kind-Zentren werden – im Galerie-Rundgang "
    "und im Gespräch mit Kommunen und Politik.",
    """Nach zweieinhalb Jahren stellen die Modellstandorte vor, wie weit ihre Kitas auf dem Weg
zum **Eltern-Kind-Zentrum (EKiZ)** sind.

Im Format eines *Galerie-Rundgangs* erhalten Sie Einblick in Schwerpunkte und Wirkungen der
Zentren in ihren Stadtteilen. Drei Impulse aus Trägern, Kommune und Wissenschaft
reflektieren die Entwicklung; danach diskutieren wir die nächsten Schritte.

Der Fachtag richtet sich an Fachkräfte, Träger, Vorstände von Elterninitiativen und die
Kindertagespflege.""",
    [Topic.TRAINING, Topic.CHILDCARE],
    6,
    audience=Post.Audience.PROFESSIONALS,
    event_title="Fachtag Eltern-Kind-Zentren: mit den Kommunen – für die Kommunen",
    image=("teal", "Galerie-Rundgang: Plakate der Modellstandorte an Stellwänden"),
)

RUECKBLICK = DemoPost(
    "elterninitiativen-sh",
    "verband",
    "Rückblick: Fachtag Partizipation – Dokumentation online",
    "Rund 60 Teilnehmende haben beraten, wie Kinder und Eltern im Kita-Alltag mitentscheiden. "
    "Folien, Flyer und Fotos stehen zum Herunterladen bereit.",
    """Zentrale Erkenntnis des Fachtags: Beteiligung beginnt im Alltag – beim Essen, beim
Schlafen, bei der Raumgestaltung. Die Rückmeldungen lassen sich als Plädoyer für mehr Zeit
und Fortbildung für Beteiligung zusammenfassen.

Unten finden Sie die **Dokumentation**: die Folien der Impulsreferate, den Flyer und das
Fotoprotokoll der Arbeitsgruppen.""",
    [Topic.DOCUMENTATION, Topic.TRAINING],
    3,
    audience=Post.Audience.PROFESSIONALS,
    event_title="Fachtag Partizipation: Kinder und Eltern beteiligen",
)

NETZWERK = DemoPost(
    "netzwerk-kinderarmut",
    "netzwerk",
    "Netzwerk gegen Kinderarmut gestartet: 70 Fachkräfte beim Auftakt",
    "Kitas, Schulen, Gesundheitswesen, Vereine und Ämter arbeiten in Flensburg zusammen, "
    "damit alle Kinder teilhaben können.",
    """Aufwachsen in Armut ist ein zentrales Entwicklungsrisiko für Kinder. Rat und Verwaltung
haben deshalb beschlossen, ein **Netzwerk gegen Kinderarmut** aufzubauen.

Zur Auftaktveranstaltung kamen rund 70 Fachkräfte aus Kindertagesstätten, Schulen, Medizin
und Gesundheit, Vereinen, Trägern und Ämtern. In thematischen Arbeitskreisen wurden erste
Ideen gesammelt; das Jugendamt trägt die Ergebnisse jetzt zusammen und wertet sie aus.

Das Netzwerk wird mit bis zu 32.000 Euro gefördert.""",
    [Topic.NETWORKS],
    20,
    network=True,
    image=("orange", "Fachkräfte sitzen in Arbeitskreisen an runden Tischen"),
)

AUFRUF = DemoPost(
    "stiftung-fruehe-bildung",
    "foerderer",
    "Noch freie Plätze: Netzwerke für frühe Bildung können sich bewerben",
    "Die Stiftung unterstützt lokale Netzwerke mit Bedarfsanalyse, Öffentlichkeitsarbeit, "
    "Fortbildungen und 18 Monaten Prozessbegleitung.",
    """Gute Qualität in der frühen Bildung entsteht nur, wenn alle vor Ort an einem Strang
ziehen. Das Programm unterstützt deshalb **lokale Netzwerke** mit kostenlosen Angeboten:

- eine bedarfsgerechte Analyse der Ausgangslage,
- Hilfe bei der Öffentlichkeitsarbeit und Fortbildungen,
- eine professionelle Prozessbegleitung: 18 Monate lang helfen Fachleute bei Planung und
  Moderation der Treffen.

Es gibt noch freie Plätze. Interessierte Netzwerke und Kommunen bewerben sich am besten so
schnell wie möglich.""",
    [Topic.FUNDING, Topic.NETWORKS],
    2,
    call_title="Gute Qualität vor Ort 2026",
)

JUGENDAMT = DemoPost(
    "jugendamt-flensburg",
    "admin",
    "Ihr Kind hat ein Recht auf einen Betreuungsplatz",
    "Ab dem ersten Geburtstag hat jedes Kind einen Anspruch auf einen Platz in einer Kita oder "
    "in der Kindertagespflege. Wir helfen Ihnen bei der Suche – in Ihrer Sprache.",
    """In Deutschland hat jedes Kind ab einem Jahr einen **Rechtsanspruch** auf einen
Betreuungsplatz (§ 24 SGB VIII).

## So finden Sie einen Platz

- Suchen Sie in Lotse nach Kitas und Kindertagespflege in Ihrer Nähe.
- Bewerben Sie sich **einmal** für bis zu fünf Wünsche.
- Die Lotsenstelle Kinderbetreuung berät Sie kostenlos, auch zu den Kosten und zur
  Ermäßigung der Gebühren.""",
    [Topic.CHILDCARE, Topic.FAMILIES],
    1,
    audience=Post.Audience.FAMILIES,
    image=("blue", "Ein Kind baut mit bunten Bauklötzen einen Turm"),
    translations={
        "en": (
            "Your child has a right to a childcare place",
            "From the first birthday every child has a right to a place in a Kita or with a "
            "childminder. We help you find one – in your language.",
            "In Germany every child from the age of one has a **legal right** to a childcare "
            "place (§ 24 SGB VIII).\n\n## How to find a place\n\n- Search Lotse for Kitas and "
            "childminders near you.\n- Apply **once** for up to five wishes.\n- The "
            "Lotsenstelle Kinderbetreuung advises you free of charge, also on costs and fee "
            "reductions.",
        ),
        "tr": (
            "Çocuğunuzun bir bakım yerine hakkı var",
            "Her çocuğun birinci yaş gününden itibaren bir kreşte veya gündüz bakıcısında yer "
            "hakkı vardır. Yer bulmanıza kendi dilinizde yardımcı oluyoruz.",
            "Almanya'da bir yaşından itibaren her çocuğun bir bakım yerine **yasal hakkı** "
            "vardır (§ 24 SGB VIII).\n\n## Nasıl yer bulursunuz\n\n- Lotse'de size yakın "
            "kreşleri ve gündüz bakıcılarını arayın.\n- En fazla beş tercih için **bir kez** "
            "başvurun.\n- Lotsenstelle Kinderbetreuung size ücretsiz danışmanlık verir; "
            "masraflar ve ücret indirimi konusunda da.",
        ),
        "ar": (
            "لطفلك الحق في مكان رعاية",
            "يحق لكل طفل بعد عيد ميلاده الأول الحصول على مكان في روضة أو لدى مربية أطفال. "
            "نساعدك في البحث بلغتك.",
            "في ألمانيا، لكل طفل ابتداءً من عمر سنة واحدة **حق قانوني** في مكان رعاية "
            "(المادة 24 من الكتاب الثامن من قانون الضمان الاجتماعي).\n\n## كيف تجد مكانًا\n\n"
            "- ابحث في Lotse عن رياض الأطفال ومربيات الأطفال القريبة منك.\n- قدّم طلبًا "
            "**مرة واحدة** لما يصل إلى خمس رغبات.\n- يقدّم لك مكتب الإرشاد لرعاية الأطفال "
            "استشارة مجانية، أيضًا حول التكاليف وتخفيض الرسوم.",
        ),
        "uk": (
            "Ваша дитина має право на місце в дитячому садку",
            "З першого дня народження кожна дитина має право на місце в дитячому садку або в "
            "денної няні. Ми допоможемо вам знайти його – вашою мовою.",
            "У Німеччині кожна дитина віком від одного року має **законне право** на місце "
            "для догляду (§ 24 SGB VIII).\n\n## Як знайти місце\n\n- Шукайте в Lotse дитячі "
            "садки та денних нянь поблизу.\n- Подайте заяву **один раз** на до п'яти "
            "бажань.\n- Служба Lotsenstelle Kinderbetreuung безкоштовно консультує вас, також "
            "щодо вартості та знижок.",
        ),
    },
)

PLAN = DemoPost(
    "jugendamt-flensburg",
    "admin",
    "Neue Kita in Weiche: Anmeldung ab Herbst",
    "Im Stadtteil Weiche entstehen 60 neue Plätze für Kinder unter drei Jahren.",
    "Der Entwurf wird noch mit dem Träger abgestimmt.",
    [Topic.CHILDCARE],
    0,
    draft=True,
)

POSTS = [VERBAND, NETZWERK, FACHTAG_EKIZ, RUECKBLICK, AUFRUF, JUGENDAMT, PLAN]

COLOURS = {"teal": (11, 93, 122), "orange": (191, 87, 0), "blue": (30, 80, 160)}


def demo_image(theme: str) -> bytes:
    """A simple illustration (blocks in the theme's colour) made with Pillow."""
    from PIL import Image, ImageDraw

    base = COLOURS.get(theme, COLOURS["teal"])
    image = Image.new("RGB", (960, 540), (243, 246, 248))
    draw = ImageDraw.Draw(image)
    for n in range(6):
        shade = tuple(min(255, c + n * 22) for c in base)
        x = 80 + n * 140
        draw.rounded_rectangle([x, 420 - n * 50, x + 110, 470], radius=14, fill=shade)
    draw.ellipse([700, 60, 860, 220], fill=(255, 191, 71))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _link(plan: DemoPost, post: Post) -> None:
    from lotse.events.models import Event
    from lotse.networks.models import Network, ProgrammeCall

    if plan.event_title:
        post.event = Event.objects.filter(title=plan.event_title).first()
    if plan.call_title:
        post.call = ProgrammeCall.objects.filter(title=plan.call_title).first()
    if plan.network:
        post.network = Network.objects.filter(organisation=post.organisation).first()


def _create(ctx: DemoContext, plan: DemoPost) -> Post | None:
    organisation = ctx.organisations.get(plan.organisation)
    author = ctx.users.get(plan.author)
    if organisation is None:
        return None
    existing = Post.objects.filter(organisation=organisation, title=plan.title).first()
    if existing is not None:
        return None
    published = not plan.draft
    post = Post(
        organisation=organisation,
        title=plan.title,
        teaser=plan.teaser,
        body=plan.body,
        audience=plan.audience,
        status=Post.Status.PUBLISHED if published else Post.Status.DRAFT,
        publish_at=timezone.now() - timedelta(days=plan.days_ago) if published else None,
        published_by=author if published else None,
        created_by=author,
    )
    _link(plan, post)
    if plan.image:
        theme, alt = plan.image
        post.image_alt = alt
        post.image_credit = "Lotse Demo"
        post.image.save("image.png", ContentFile(demo_image(theme)), save=False)
    post.save()
    PostTopic.objects.bulk_create([PostTopic(post=post, topic=t) for t in plan.topics])
    for language, (title, teaser, body) in plan.translations.items():
        PostTranslation.objects.create(
            post=post,
            language=language,
            title=title,
            teaser=teaser,
            body=body,
            image_alt=post.image_alt,
        )
    return post


def _documentation(post: Post, author: object) -> None:
    items = [
        (File.Kind.SLIDES, "Folien der Impulsreferate", "folien.txt", b"Impulse: ...", ""),
        (File.Kind.FLYER, "Flyer zum Fachtag", "flyer.txt", b"Programm und Referierende", ""),
        (
            File.Kind.PHOTO,
            "Fotoprotokoll der Arbeitsgruppen",
            "fotoprotokoll.png",
            demo_image("teal"),
            "Alle abgebildeten Personen haben der Veröffentlichung schriftlich zugestimmt.",
        ),
    ]
    day = timezone.localdate() - timedelta(days=5)
    for kind, title, name, content, consent in items:
        item = File(
            organisation=post.organisation,
            post=post,
            kind=kind,
            title=title,
            is_documentation=True,
            documented_on=day,
            consent_note=consent,
            filename=name,
            file_type="png" if name.endswith(".png") else "txt",
            size=len(content),
            uploaded_by=author,
        )
        item.file.save(name, ContentFile(content), save=False)
        item.save()


@transaction.atomic
def load(ctx: DemoContext) -> list[str]:
    created = 0
    for plan in POSTS:
        with set_actor(ctx.users.get(plan.author)):
            post = _create(ctx, plan)
            if post is None:
                continue
            created += 1
            if plan is RUECKBLICK:
                _documentation(post, ctx.users.get(plan.author))
    # One confirmed subscriber, so the editor's page shows a figure (the demo parent).
    parent = ctx.users.get("eltern")
    association = ctx.organisations.get("elterninitiativen-sh")
    if parent is not None and association is not None:
        Subscription.objects.get_or_create(
            organisation=association,
            email=parent.email,
            defaults={"user": parent, "confirmed_at": timezone.now(), "language": "de"},
        )
    return [f"news: {Post.objects.count()} posts ({created} created now)"]
