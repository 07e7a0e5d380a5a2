"""One notification service for every reminder and notice: an in-app inbox per user and
e-mail over SMTP when configured, in the recipient's language."""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hozen.accounts.models import User
from hozen.accounts.services import profile
from hozen.config import get_settings
from hozen.db import new_id, utcnow
from hozen.messages import N_
from hozen.notifications.models import Notification
from hozen.paging import DEFAULT_PAGE, page

log = logging.getLogger("hozen.notifications")

# kind -> (subject, body); bodies take only the notice's own parameters. Kinds starting
# "employer_" are the employer's copies (outcome only), purged past retention.
_EXPIRING = (N_("Clearance expiry reminder"),
             N_("A %(regime)s clearance expires on %(valid_until)s (in %(days)s days). "
                "Case %(case_id)s."))
_EXPIRED = (N_("Clearance expired"),
            N_("A %(regime)s clearance expired on %(valid_until)s. Case %(case_id)s."))
_GRANTED = (N_("Suitability assessment: granted"),
            N_("The %(regime)s suitability assessment (case %(case_id)s) ended favourably. "
               "The clearance is valid until %(valid_until)s."))
TEXTS: dict[str, tuple[str, str]] = {
    "clearance_expiring": _EXPIRING,
    "clearance_expired": _EXPIRED,
    "employer_clearance_expiring": _EXPIRING,
    "employer_clearance_expired": _EXPIRED,
    "assessment_listed": (
        N_("Suitability assessment: your consent is asked"),
        N_("You have been listed for a %(regime)s suitability assessment (case "
           "%(case_id)s). Please read what will be checked, then consent or refuse. "
           "Nothing proceeds without your consent."),
    ),
    "assessment_assigned": (
        N_("Investigation assigned"),
        N_("The investigation of %(regime)s case %(case_id)s has been assigned to you."),
    ),
    "assessment_granted": _GRANTED,
    "employer_assessment_granted": _GRANTED,
    "assessment_denied": (
        N_("Suitability assessment: not granted"),
        N_("The %(regime)s suitability assessment (case %(case_id)s) did not end "
           "favourably. Unless you declined them, the reasons are on your assessments page; "
           "you may file a complaint there."),
    ),
    "employer_assessment_denied": (
        N_("Suitability assessment: not granted"),
        N_("The %(regime)s suitability assessment (case %(case_id)s) did not end "
           "favourably."),
    ),
    "designation_consultation": (
        N_("Designation: your comments are invited"),
        N_("A %(kind_label)s of designation %(reference)s is proposed. You are invited to "
           "comment before an approving official decides."),
    ),
    "designation_decided": (
        N_("Designation decided"),
        N_("The %(kind_label)s of designation %(reference)s was %(outcome_label)s."),
    ),
    "designation_objection": (
        N_("Objection to a designation"),
        N_("An objection was lodged that designation %(reference)s is improper."),
    ),
    "designation_objection_answered": (
        N_("Your objection was answered"),
        N_("The oversight inspector answered your objection to a designation."),
    ),
    "designation_review_due": (
        N_("Designation review due"),
        N_("Designation %(reference)s is due for its review (%(due_on)s). Record whether "
           "it is still needed."),
    ),
    "designation_review_soon": (
        N_("Designation review coming"),
        N_("Designation %(reference)s is due for review on %(due_on)s."),
    ),
    "designation_lapsed": (
        N_("Designation pending disposition"),
        N_("Designation %(reference)s ended on %(since)s without renewal or lifting. Its "
           "items are denied to everyone until it is renewed or lifted."),
    ),
    "cui_refresher_due": (
        N_("CUI refresher training due"),
        N_("A CUI authorization's refresher training is due by %(due_on)s; without it the "
           "authorization stops counting."),
    ),
    "cui_expiring": (
        N_("CUI authorization ending"),
        N_("A CUI authorization ends on %(due_on)s."),
    ),
    "facility_update": (
        N_("Facility clearance"),
        N_("The facility clearance of %(organisation)s: %(state_label)s."),
    ),
    "facility_change": (
        N_("Facility change reported"),
        N_("%(organisation)s reported a change to what was certified. It takes effect only "
           "once the agency approves it."),
    ),
    "facility_expiring": (
        N_("Facility clearance ending"),
        N_("The facility clearance of %(organisation)s ends on %(due_on)s. Apply for "
           "renewal in time."),
    ),
    "facility_incident": (
        N_("Security incident reported"),
        N_("%(organisation)s reported a security incident (%(kind_label)s, %(severity_label)s) "
           "that occurred on %(occurred_on)s."),
    ),
    "facility_incident_closed": (
        N_("Security incident closed"),
        N_("The agency closed the security incident of %(occurred_on)s."),
    ),
    "visit_requested": (
        N_("Visit request"),
        N_("Partner nationals ask to visit for programme %(programme)s from %(starts_on)s to "
           "%(ends_on)s. The programme's agency and the host decide."),
    ),
    "visit_approved": (
        N_("Visit approved"),
        N_("The visit for programme %(programme)s from %(starts_on)s to %(ends_on)s is "
           "approved."),
    ),
    "visit_refused": (
        N_("Visit refused"),
        N_("The visit for programme %(programme)s from %(starts_on)s to %(ends_on)s was "
           "refused."),
    ),
    "originator_incident": (
        N_("Incident involving your government's information"),
        N_("%(organisation)s reported a security incident (%(kind_label)s, %(severity_label)s) "
           "on %(occurred_on)s involving information your government provided."),
    ),
    "originator_consent_requested": (
        N_("Consent requested"),
        N_("Japan asks your government's consent to pass the information of designation "
           "%(reference)s to %(third_party)s."),
    ),
    "originator_consent_granted": (
        N_("Originator consent granted"),
        N_("%(originator)s consented to passing designation %(reference)s to "
           "%(third_party)s."),
    ),
    "originator_consent_refused": (
        N_("Originator consent refused"),
        N_("%(originator)s refused passing designation %(reference)s to %(third_party)s."),
    ),
    "originator_consent_withdrawn": (
        N_("Originator consent withdrawn"),
        N_("%(originator)s withdrew its consent to passing designation %(reference)s to "
           "%(third_party)s. Narrow its releasability."),
    ),
    "intel_submission_pending": (
        N_("Threat information awaiting review"),
        N_("A company submitted %(count)s STIX object(s) to collection %(collection)s. "
           "Review them before other members see them."),
    ),
    "tearline_pending": (
        N_("Tear-line awaiting approval"),
        N_("A tear-line (%(target)s) awaits a second official's approval before release. "
           "Tear-line %(tearline)s."),
    ),
    "transfer_requested": (
        N_("Transfer request"),
        N_("A company asks to pass item %(item)s to another company. The designating agency "
           "decides."),
    ),
    "transfer_approved": (
        N_("Transfer approved"),
        N_("The transfer of item %(item)s was approved."),
    ),
    "transfer_refused": (
        N_("Transfer refused"),
        N_("The transfer of item %(item)s was refused."),
    ),
    "transfer_dispatched": (
        N_("Transfer dispatched"),
        N_("Item %(item)s was dispatched to your organisation; record its receipt."),
    ),
    "community_application": (
        N_("Community: a new application"),
        N_("Someone asks to join the community %(community)s. Admit or refuse them on its "
           "page."),
    ),
    "community_admitted": (
        N_("Community: admitted"),
        N_("You have been admitted to the community %(community)s."),
    ),
    "community_refused": (
        N_("Community: not admitted"),
        N_("Your application to the community %(community)s was not accepted."),
    ),
    "community_removed": (
        N_("Community: membership ended"),
        N_("Your membership of the community %(community)s was ended by its manager."),
    ),
    "event_registered": (
        N_("Event: registered"),
        N_("You are registered for %(event)s (starts %(starts_at)s). Your eligibility is "
           "checked again at the door."),
    ),
    "follow_up_due": (
        N_("Follow-up contact due"),
        N_("A person who left on %(departed_on)s after handling SDS or critical technology "
           "has not been contacted for a year (follow-up until %(follow_up_until)s)."),
    ),
    # A mass notice (notifications/notices.py): the sender's own words, as written.
    "mass_notice": (
        N_("Notice from the government"),
        N_("Notice: %(title)s\n\n%(body)s"),
    ),
    "employer_assessment_not_proceeding": (
        N_("Suitability assessment will not proceed"),
        N_("The %(regime)s suitability assessment (case %(case_id)s) will not proceed."),
    ),
}


def notify(session: Session, user_id: str, kind: str, params: dict, dedupe_key: str,
           at: datetime | None = None) -> bool:
    """Queue a notice once per dedupe key; True when a new one was created. `at` is when
    it was issued (a scheduled job run as of a given day), default now."""
    if kind not in TEXTS:
        raise ValueError(f"unknown notification kind {kind}")
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return False
    session.add(Notification(id=new_id(), user_id=user_id, kind=kind,
                             params=json.dumps(params, sort_keys=True), dedupe_key=dedupe_key,
                             created_at=at or utcnow()))
    return True


def render(notification: Notification, lang: str) -> tuple[str, str]:
    from hozen.web.i18n import translations

    tr = translations(lang)
    subject, body = TEXTS[notification.kind]
    params = json.loads(notification.params)
    # Parameters named *_label are message ids: worded in the reader's language too.
    params = {k: tr.gettext(v) if k.endswith("_label") else v for k, v in params.items()}
    return tr.gettext(subject), tr.gettext(body) % params


def inbox(session: Session, *, actor, lang: str, cursor: str | None = None,
          limit: int = DEFAULT_PAGE) -> tuple[list[dict], str | None]:
    """A page of the actor's own notices, newest first, worded in their language, and
    the cursor of the next page."""
    rows, nxt = page(session, select(Notification).where(Notification.user_id == actor.id,
                                                         Notification.purged_at.is_(None)),
                     [Notification.created_at, Notification.id], cursor=cursor, limit=limit,
                     newest_first=True)
    out = []
    for n in rows:
        subject, body = render(n, lang)
        out.append({"id": n.id, "kind": n.kind, "subject": subject, "body": body,
                    "created_at": n.created_at, "read": n.read_at is not None})
    return out, nxt


def unread_count(session: Session, *, actor) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None),
        Notification.purged_at.is_(None))) or 0


def mark_all_read(session: Session, *, actor) -> int:
    """Mark the actor's own unread notices read; returns how many."""
    rows = list(session.scalars(select(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None))))
    for n in rows:
        n.read_at = utcnow()
    return len(rows)


def send_pending_email(session: Session) -> int:
    """E-mail every notice not yet sent to users with an address, when SMTP is set."""
    settings = get_settings()
    if not settings.smtp_host:
        return 0
    pending = [(n, u, profile(u)["email"]) for n, u in session.execute(
        select(Notification, User).join(User, User.id == Notification.user_id).where(
            Notification.emailed_at.is_(None), Notification.purged_at.is_(None))
        .with_for_update(of=Notification)).all()]
    pending = [p for p in pending if p[2]]
    if not pending:
        return 0
    sent = 0
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        for notification, user, address in pending:
            subject, body = render(notification, user.language or settings.language)
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, address, subject
            msg.set_content(body)
            smtp.send_message(msg)
            notification.emailed_at = utcnow()
            sent += 1
    log.info("sent %d notification e-mails", sent)  # counts only: no addresses, no content
    return sent
