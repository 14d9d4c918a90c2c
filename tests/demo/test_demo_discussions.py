"""`forum demo` discussions: the report's showcases, Table 5 and section 4.2, idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import Membership, User
from forum.core.config import Settings
from forum.core.db import utcnow
from forum.demo.discussions import load_discussions, source_note
from forum.discussions.models import Post, Thread, ThreadCountry
from forum.plugins import demo_parts

# Every showcase of sections 3.2 (4 from Strand 1, 3 from Strand 2) and 3.4 (3 + 3):
# title -> (partnership, as Table 1 names it; section).
SHOWCASES = {
    "Cosmetics4Wellbeing at the Cosmetic 360 exhibition in Paris": ("Cosmetics4Wellbeing", "3.2"),
    "PERES at the world Railway Fair in Europe": ("PERES", "3.2"),
    "PIMAP workshop on SME internationalisation and cross-sectoral collaboration": ("PIMAP", "3.2"),
    "SpaceWave business trip to Vietnam and Thailand": ("SpaceWave", "3.2"),
    "COSMENERG-4i: soft landing services in targeted countries": ("COSMENERG-4i", "3.2"),
    "EC2i exporting cleantech technologies to the United States and China": ("EC2i", "3.2"),
    "EU-TEXTILE2030 collaborating with Ruta N": ("EU-TEXTILE2030", "3.2"),
    "Digital Industry Alliance: first site visit as a joint business event in Turin": (
        "DIA",
        "3.4",
    ),
    "MAGIA study visits: exchanging information and good practices": ("MAGIA", "3.4"),
    "SpaceWave workshops: information for SMEs on Earth Observation for Blue Growth": (
        "SpaceWave",
        "3.4",
    ),
    "LASER-GO GLOBAL agreement on soft landing services between clusters": (
        "LASER-GO GLOBAL",
        "3.4",
    ),
    "EU-TEXTILE2030 companies return to Colombiatex 2019": ("EU-TEXTILE2030", "3.4"),
    "MobiGoIn-Action training programme to help SMEs approach new markets": (
        "MobiGoIn-Action",
        "3.4",
    ),
}
TABLE_5 = {
    "LASER-GO GLOBAL": "most of the communication is happening via social media; a website "
    "forum is not the most efficient way of reaching out and exchanging information with the "
    "cluster managers who have limited time to follow up the updates on the forum, let alone "
    "post them",
    "MAGIA": "We are still in the process of testing out its functionalities.",
    "MobiGoIn-Action": "I don't use it mainly because of lack of time. Emails work too, More "
    "communication about the forum could be helpful",
    "PERES": "I didn't know it existed, though I visit regularly the ECCP",
    "SENTINEL": "Becoming a market intelligence repository targeted by country and sectors.",
    "SpaceWave": "Communication around this forum could be implemented or improved, in order "
    "for us to use more often this forum.",
}
OURS = Thread.source_note.in_([source_note(s) for s in ("3.2", "3.4", "4.2", "5.3")])
FEEDBACK_TITLE = "How could the forum be improved?"
DIALOGUE_TITLE = "Cooperation between ESCP-4i partnerships: who talks with whom"


def _thread(db: Session, title: str, section: str) -> Thread:
    thread = db.scalar(
        select(Thread).where(Thread.title == title, Thread.source_note == source_note(section))
    )
    assert thread is not None, title
    return thread


def _replies(db: Session, thread: Thread) -> list[Post]:
    return list(
        db.scalars(
            select(Post)
            .where(Post.thread_id == thread.id, Post.is_opening.is_(False))
            .order_by(Post.id)
        )
    )


def _poster(post: Post) -> str:
    assert post.author is not None
    partnership = post.author.partnership
    return partnership.name if partnership else post.author.name


def test_every_showcase_is_a_good_practice_by_its_partnership(demo_db: Session) -> None:
    good_practices = list(
        demo_db.scalars(select(Thread).where(Thread.kind == "good_practice", OURS))
    )
    assert sorted(t.title for t in good_practices) == sorted(SHOWCASES)
    for thread in good_practices:
        name, section = SHOWCASES[thread.title]
        assert thread.source_note == (
            f"From the 2019 ECCP consultation report of the ESCP-4i partnerships (section {section})"
        )
        assert thread.category.slug == "good-practices"
        assert thread.author is not None and thread.author.partnership is not None
        assert thread.author.partnership.name == name
        assert thread.partnership is not None and thread.partnership.name == name
        assert thread.author.name == f"{name} (demo member)"
        assert thread.sectors == thread.partnership.sectors
        gp = thread.good_practice
        assert gp is not None and gp.approach and gp.results
        # The report states no challenge, lesson or contact for any showcase.
        assert (gp.challenge, gp.lessons, gp.contact) == ("", "", "")


def test_good_practice_texts_and_countries_come_from_the_report(demo_db: Session) -> None:
    pimap = _thread(demo_db, "PIMAP workshop on SME internationalisation and cross-sectoral "
                    "collaboration", "3.2")  # fmt: skip
    assert pimap.good_practice is not None
    assert pimap.good_practice.results.startswith("The workshop allowed exchanges on services")
    # No country named in the showcase: Table 1's targets.
    assert pimap.country_codes == ["CA", "US"]
    ec2i = _thread(demo_db, "EC2i exporting cleantech technologies to the United States and "
                   "China", "3.2")  # fmt: skip
    assert ec2i.good_practice is not None
    assert ec2i.good_practice.results.startswith("The report gives no separate result")
    assert ec2i.country_codes == ["CN", "US"]
    paris = _thread(demo_db, "Cosmetics4Wellbeing at the Cosmetic 360 exhibition in Paris", "3.2")
    assert paris.country_codes == ["FR"]
    ruta_n = _thread(demo_db, "EU-TEXTILE2030 collaborating with Ruta N", "3.2")
    assert ruta_n.country_codes == ["CO"]
    # MAGIA: no country in the showcase, "To be defined" in Table 1 - unknown stays unknown.
    magia = _thread(demo_db, "MAGIA study visits: exchanging information and good practices", "3.4")
    assert magia.country_codes == []
    assert magia.sectors[0].slug == "healthcare"
    assert demo_db.scalar(select(func.count()).where(ThreadCountry.country_code == "XX")) == 0


def test_table_5_thread_has_one_reply_per_row_and_nested_demo_replies(demo_db: Session) -> None:
    thread = _thread(demo_db, FEEDBACK_TITLE, "5.3")
    assert thread.category.slug == "platform-feedback"
    assert thread.author is not None and thread.author.name == "Platform team (demo)"
    assert thread.author.is_moderator
    opening = demo_db.scalar(select(Post).where(Post.thread_id == thread.id, Post.is_opening))
    assert opening is not None
    assert "Do you use the ESCP-4i forum on the ECCP?" in opening.body
    for reason in ("A lack of time from the managers", "A lack of communication around it",
                   "Pre-existence of effective communication tools"):  # fmt: skip
        assert reason in opening.body
    replies = _replies(demo_db, thread)
    rows = [p for p in replies if p.depth == 0]
    assert [_poster(p) for p in rows] == list(TABLE_5)
    for post in rows:
        assert post.body.startswith("*Quoted from the report (section 5.3, Table 5)")
        assert TABLE_5[_poster(post)] in post.body
    nested = [p for p in replies if p.depth >= 1]
    assert 2 <= len(nested) <= 3
    assert all(p.body.startswith("*Written for the demo") for p in nested)
    sentinel = next(p for p in rows if _poster(p) == "SENTINEL")
    answer = next(p for p in nested if p.parent_id == sentinel.id)
    assert _poster(answer) == "Platform team (demo)"
    assert "Market intelligence" in answer.body and "good practice" in answer.body
    assert thread.reply_count == len(replies) == 6 + len(nested)


def test_section_4_2_dialogue_is_one_discussion(demo_db: Session) -> None:
    thread = _thread(demo_db, DIALOGUE_TITLE, "4.2")
    assert thread.category.slug == "cooperation-opportunities"
    assert thread.kind == "discussion"
    replies = _replies(demo_db, thread)
    statements = [p for p in replies if p.depth == 0]
    assert [_poster(p) for p in statements] == [
        "Cosmetics4Wellbeing", "MobiGoIn-Action", "LASER-GO GLOBAL", "FoodPackLab", "IDEOO",
    ]  # fmt: skip
    named = {
        _poster(s): sorted(_poster(p) for p in replies if p.parent_id == s.id) for s in statements
    }
    assert named == {
        "Cosmetics4Wellbeing": ["FoodPackLab", "LASER-GO GLOBAL", "PIMAP"],
        "MobiGoIn-Action": ["EC2i", "NF4"],
        "LASER-GO GLOBAL": ["Cosmetics4Wellbeing", "MAGIA"],
        "FoodPackLab": ["COSMENERG-4i", "FoodNet"],
        "IDEOO": ["SpaceWave"],
    }
    assert all(p.depth == 1 for p in replies if p.parent_id is not None)


def test_demo_discussions_are_idempotent(demo_db: Session, settings: Settings) -> None:
    def counts() -> tuple[int | None, ...]:
        return tuple(
            demo_db.scalar(select(func.count()).select_from(model))
            for model in (Thread, Post, User, Membership, ThreadCountry)
        )

    before = counts()
    assert before[0] == 15
    summary = load_discussions(demo_db, settings)
    for part in demo_parts():
        part.load(demo_db, settings)
    demo_db.flush()
    assert counts() == before
    assert "(0 new)" in summary and "0 demo members added" in summary


def test_no_demo_account_can_receive_mail_or_sign_in(demo_db: Session) -> None:
    authors = set(demo_db.scalars(select(Post.author_id).join(Thread).where(OURS)))
    demo_users = list(demo_db.scalars(select(User).where(User.email.like("demo+%"))))
    assert {u.id for u in demo_users} == authors
    assert len(demo_users) == 17  # 16 partnerships and the platform team
    for user in demo_users:
        assert user.email.endswith(".invalid")
        assert user.password_hash is None
        assert user.is_verified and user.onboarded_at is not None
        assert user.digest_frequency == "off"
        if user.role == "member":
            assert user.membership is not None and user.membership.status == "approved"


def test_dates_spread_over_the_last_14_days_replies_after_parents(demo_db: Session) -> None:
    now = utcnow()
    threads = list(demo_db.scalars(select(Thread).where(OURS)))
    days = {t.created_at.date() for t in threads}
    assert len(days) >= 10  # spread, not all at once
    for thread in threads:
        posts = {p.id: p for p in demo_db.scalars(select(Post).where(Post.thread_id == thread.id))}
        opening = next(p for p in posts.values() if p.is_opening)
        assert opening.created_at == thread.created_at
        for post in posts.values():
            assert now - dt.timedelta(days=14) <= post.created_at <= now
            if not post.is_opening:
                parent = posts[post.parent_id] if post.parent_id else opening
                assert post.created_at > parent.created_at
        assert thread.last_activity_at == max(p.created_at for p in posts.values())
