"""Who may open what: the permission matrix, generated from ``app.url_map``.

Every rule of the application (pages and API, every method) has one entry in ``EXPECTED``: which
permissions of ``exchange.accounts.permissions`` it needs and what a caller who holds them gets.
The status each role expects follows from the roles holding those permissions; an anonymous
browser is sent to sign in (302), an anonymous API caller gets 401. A route without an entry fails
the matrix (``test_a_route_without_an_expectation_fails_the_matrix``).

Skipped: the static file endpoints (``SKIPPED``), and the HEAD and OPTIONS methods Flask adds to
every rule (HEAD runs the GET view, OPTIONS is answered by Flask without the view).

One application and one data set serve every request: each request runs inside a savepoint that is
rolled back afterwards, so a write (a deactivated colleague, a claimed offer) changes nothing for the
next one. URL parameters name objects of the caller's own organisations (the partner's claim, the
manufacturer's lead), so a status says something about the role, not about tenancy; the cross-tenant
probes at the end check that another organisation's ids give 404.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from exchange import create_app
from exchange.accounts.organisations import enroll
from exchange.accounts.password_links import LinkPurpose, make_token
from exchange.accounts.permissions import ROLES_WITH, Permission, roles_with
from exchange.accounts.tokens import issue_token
from exchange.leads.campaigns import create_campaign
from exchange.models import (
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    LeadImport,
    LeadStatus,
    Notification,
    Role,
    TokenScope,
    WebhookDelivery,
)
from exchange.models.lead_import import ImportStatus
from exchange.platform import jobs
from exchange.platform.extensions import db
from exchange.web.api import _read_without_transaction
from tests import factories as f
from tests.conftest import ON_POSTGRES, IsolatedClient, _base_config, _truncate_all

P = Permission
ANON = "anonymous"
M_ADMIN, C_MGR, P_ADMIN, P_REP = (
    Role.MANUFACTURER_ADMIN,
    Role.CHANNEL_MANAGER,
    Role.PARTNER_ADMIN,
    Role.PARTNER_REP,
)
CALLERS: tuple[Role | str, ...] = (ANON, *Role)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SKIPPED = {
    "static": "the application's static files",
    "bootstrap.static": "Bootstrap-Flask's static files",
    "api_docs_assets.static": "Swagger UI's static files",
}


# --- the expectations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """A permission a route asks for, and what a caller without it gets. ``after_csrf``: an API
    write permission checked after the CSRF header (a session write without it answers 400 first)."""

    permission: Permission
    refused: int = 403
    after_csrf: bool = False


@dataclass(frozen=True)
class Expect:
    needs: tuple[Need, ...] = ()
    ok: int = 200  # for a caller holding every permission in ``needs``
    anonymous: int | None = None  # None: sign in first (302 to the login page; 401 on the API)
    body: dict[str, Any] = field(default_factory=dict)  # form fields, or JSON on the API
    read_write_token: bool = False  # the API refuses read-only tokens even for reads

    def status(self, caller: Role | str, *, api: bool, csrf: bool = False) -> int:
        """The status ``caller`` gets: from the roles that hold each needed permission."""
        if caller == ANON:
            return self.anonymous or (401 if api else 302)
        for need in self.needs:
            if csrf and need.after_csrf:
                return 400
            if caller not in roles_with(need.permission):
                return need.refused
        return 400 if csrf else self.ok


def gate(*needs: Permission | Need, ok: int = 200, **kwargs: Any) -> Expect:
    return Expect(tuple(n if isinstance(n, Need) else Need(n) for n in needs), ok, **kwargs)


def public(anonymous: int = 200, signed_in: int | None = None) -> Expect:
    """Open without signing in; ``signed_in``: what a signed-in user gets instead (the login page
    sends them home)."""
    return Expect(ok=signed_in or anonymous, anonymous=anonymous)


SIGNED_IN = Expect()  # any role, no permission
MANAGE, PORTAL = P.USE_MANUFACTURER_AREA, P.USE_PARTNER_AREA


def manage(*needs: Permission | Need, ok: int = 200, **kwargs: Any) -> Expect:
    return gate(MANAGE, *needs, ok=ok, **kwargs)


def portal(*needs: Permission | Need, ok: int = 200, **kwargs: Any) -> Expect:
    return gate(PORTAL, *needs, ok=ok, **kwargs)


def manage_api_write(permission: Permission, ok: int = 200, **kwargs: Any) -> Expect:
    # The manufacturer API checks the write permission after the blueprint's gate (CSRF first).
    return gate(MANAGE, Need(permission, after_csrf=True), ok=ok, **kwargs)


def webhooks_api(ok: int = 200) -> Expect:
    return gate(P.MANAGE_WEBHOOKS, ok=ok, read_write_token=True)


TOKEN_FORM = {"name": "matrix", "scope": "read"}
REASON = {"reason": "matrix"}

# Keyed by endpoint, or by (endpoint, method) where the methods differ.
EXPECTED: dict[str | tuple[str, str], Expect] = {
    # the shell, signing in, the API document
    "web.index": Expect(ok=302),  # everyone is sent on: to sign in, or home
    # the first-run setup page exists only while no organisation does (the matrix has several)
    "setup.setup": Expect(ok=404, anonymous=404),
    "web.healthz": public(),
    "api-docs.openapi_json": public(),
    "api-docs.openapi_swagger_ui": public(),
    "auth.login": public(200, signed_in=302),
    "auth.logout": Expect(ok=302),
    "auth.account": SIGNED_IN,
    "auth.forgot_password": public(),
    "auth.accept_invitation": public(),
    "auth.reset_password": public(),
    "api_common.Me": SIGNED_IN,
    # notifications, for every role
    "inbox.notifications": gate(P.READ_NOTIFICATIONS),
    "inbox.settings": gate(P.READ_NOTIFICATIONS),
    "inbox.open_notification": gate(P.READ_NOTIFICATIONS, ok=302),
    "inbox.mark_read": gate(P.READ_NOTIFICATIONS, ok=302),
    "inbox.mark_all_read": gate(P.READ_NOTIFICATIONS, ok=302),
    "api_notifications.Notifications": gate(P.READ_NOTIFICATIONS),
    "api_notifications.NotificationRead": gate(P.READ_NOTIFICATIONS),
    "api_notifications.AllRead": gate(P.READ_NOTIFICATIONS),
    # the team API, for the admins of both kinds (user_id: a member of the caller's organisation)
    ("api_team.Team", "GET"): gate(P.MANAGE_TEAM),
    ("api_team.Team", "POST"): gate(P.MANAGE_TEAM, ok=201, body={"name": "New", "email": "new@team.test"}),
    ("api_team.TeamMemberResource", "GET"): gate(P.MANAGE_TEAM),
    ("api_team.TeamMemberResource", "PATCH"): gate(P.MANAGE_TEAM, ok=422),  # no role given
    "api_team.TeamMemberResend": gate(P.MANAGE_TEAM, ok=409),  # the member has a password
    "api_team.TeamMemberDeactivate": gate(P.MANAGE_TEAM),
    "api_team.TeamMemberReactivate": gate(P.MANAGE_TEAM, ok=409),  # already active
    # /manage: reading
    "manage.dashboard": manage(P.VIEW_ANALYTICS),
    "manage.partners": manage(P.VIEW_ANALYTICS),
    "manage.partner_performance": manage(P.VIEW_ANALYTICS, ok=302),  # now the partner table
    # analytics: the partner table and scorecards (issue 13)
    "manage.analytics_partners": manage(P.VIEW_ANALYTICS),
    "manage.analytics_partners_csv": manage(P.VIEW_ANALYTICS),
    "manage.partner_scorecard": manage(P.VIEW_ANALYTICS),
    "manage.partner_scorecard_csv": manage(P.VIEW_ANALYTICS),
    "api_analytics.partner_table_api": manage(P.VIEW_ANALYTICS),
    "api_analytics.partner_scorecard_api": manage(P.VIEW_ANALYTICS),
    "manage.partner_detail": manage(P.VIEW_ANALYTICS),
    ("manage.new_partner", "GET"): manage(P.MANAGE_PARTNERS),
    ("manage.new_partner", "POST"): manage(P.MANAGE_PARTNERS, ok=422),  # an empty form
    "manage.partner_programme": manage(P.MANAGE_PARTNERS, ok=422),  # an empty form
    "manage.resend_partner_invitation": manage(P.MANAGE_PARTNERS, ok=302),
    "manage.coverage_gaps": manage(P.VIEW_ANALYTICS),
    "manage.analytics_overview": manage(P.VIEW_ANALYTICS),
    "manage.analytics_overview_csv": manage(P.VIEW_ANALYTICS),
    "manage.analytics_fairness": manage(P.VIEW_ANALYTICS),
    "manage.analytics_fairness_csv": manage(P.VIEW_ANALYTICS),
    "manage.analytics_return": manage(P.VIEW_ANALYTICS),
    "manage.analytics_return_csv": manage(P.VIEW_ANALYTICS),
    "manage.leads": manage(),
    "manage.lead_detail": manage(),
    "manage.lead_partners": manage(),
    "manage.export_leads": manage(),
    "manage.campaigns": manage(),
    "manage.campaign_detail": manage(),
    ("manage.sla_policies", "GET"): manage(),
    ("manage.matching_weights", "GET"): manage(),
    # /manage: changing
    "manage.new_lead": manage(P.MANAGE_LEADS),
    "manage.edit_lead": manage(P.MANAGE_LEADS),
    "manage.publish_lead": manage(P.MANAGE_LEADS, ok=302),
    "manage.withdraw_lead": manage(P.MANAGE_LEADS, ok=302),
    "manage.bulk_leads": manage(P.MANAGE_LEADS, ok=302),
    "manage.imports": manage(P.MANAGE_LEADS),
    "manage.lead_import": manage(P.MANAGE_LEADS),
    "manage.lead_import_progress": manage(P.MANAGE_LEADS),
    "manage.lead_import_rejected": manage(P.MANAGE_LEADS, ok=302),  # no rejected rows: back to the import
    "manage.partner_imports": manage(P.MANAGE_PARTNERS),  # a POST without a file: the form again
    "manage.partner_import": manage(P.MANAGE_PARTNERS),  # a finished import: its summary
    "manage.partner_import_progress": manage(P.MANAGE_PARTNERS),
    "manage.partner_import_rejected": manage(P.MANAGE_PARTNERS, ok=302),
    "manage.new_campaign": manage(P.MANAGE_CAMPAIGNS),
    ("manage.edit_campaign", "GET"): manage(P.MANAGE_CAMPAIGNS),
    ("manage.edit_campaign", "POST"): manage(P.MANAGE_CAMPAIGNS, ok=302),
    "manage.delete_campaign": manage(P.MANAGE_CAMPAIGNS, ok=302),
    ("manage.qualification", "GET"): manage(P.EDIT_QUALIFICATION_RULES),
    ("manage.qualification", "POST"): manage(P.EDIT_QUALIFICATION_RULES, ok=302),
    "manage.settings": manage(P.EDIT_PROGRAMME_SETTINGS),
    ("manage.sla_policies", "POST"): manage(P.EDIT_SLA_POLICIES, ok=422),  # an empty form
    "manage.reset_sla_policies": manage(P.EDIT_SLA_POLICIES, ok=302),
    # a channel manager who posts the weights is sent back to the page with a message
    ("manage.matching_weights", "POST"): manage(Need(P.EDIT_MATCHING_WEIGHTS, refused=303)),
    "manage.team": manage(P.MANAGE_TEAM),
    "manage.invite": manage(
        P.MANAGE_TEAM, ok=201, body={"name": "New", "email": "new@maker.test", "role": "channel_manager"}
    ),
    "manage.member_role": manage(P.MANAGE_TEAM, ok=302, body={"role": "manufacturer_admin"}),
    "manage.deactivate": manage(P.MANAGE_TEAM, ok=302),
    "manage.reactivate": manage(P.MANAGE_TEAM, ok=302),
    "manage.resend": manage(P.MANAGE_TEAM, ok=302),
    "manage.unlock": manage(P.MANAGE_TEAM, ok=302),
    ("manage.tokens", "GET"): manage(P.MANAGE_TOKENS),
    ("manage.tokens", "POST"): manage(P.MANAGE_TOKENS, ok=201, body=TOKEN_FORM),
    "manage.revoke_api_token": manage(P.MANAGE_TOKENS, ok=302),
    # /portal
    "portal.offers": portal(),
    "portal.offer_detail": portal(),
    "portal.my_leads": portal(),
    "portal.lead_detail": portal(),
    "portal.performance": portal(),
    "portal.claim": portal(P.CLAIM_OFFERS, ok=303),
    "portal.decline": portal(P.CLAIM_OFFERS, ok=422),  # no reason given
    "portal.log_contact": portal(ok=302),
    "portal.update_status": portal(ok=302),
    "portal.add_note": portal(ok=302),
    "portal.return_lead": portal(ok=302),
    # the service refuses a rep; the page says so and goes back to the lead
    "portal.assign": portal(Need(P.ASSIGN_LEADS, refused=302), ok=302),
    ("portal.profile", "GET"): portal(P.EDIT_PARTNER_PROFILE),
    ("portal.profile", "POST"): portal(P.EDIT_PARTNER_PROFILE, body={"capacity": "5"}),
    ("portal.availability", "GET"): portal(),
    ("portal.availability", "POST"): portal(P.MANAGE_PROGRAMMES, ok=302, body={"reason": "Trade fair"}),
    "portal.resume_availability": portal(P.MANAGE_PROGRAMMES, ok=302),
    "portal.team": portal(P.MANAGE_TEAM),
    "portal.invite": portal(
        P.MANAGE_TEAM, ok=201, body={"name": "New", "email": "new@partner.test", "role": "partner_rep"}
    ),
    "portal.member_role": portal(P.MANAGE_TEAM, ok=302, body={"role": "partner_admin"}),
    "portal.deactivate": portal(P.MANAGE_TEAM, ok=302),
    "portal.reactivate": portal(P.MANAGE_TEAM, ok=302),
    "portal.resend": portal(P.MANAGE_TEAM, ok=302),
    "portal.unlock": portal(P.MANAGE_TEAM, ok=302),
    ("portal.tokens", "GET"): portal(P.MANAGE_TOKENS),
    ("portal.tokens", "POST"): portal(P.MANAGE_TOKENS, ok=201, body=TOKEN_FORM),
    "portal.revoke_api_token": portal(P.MANAGE_TOKENS, ok=302),
    ("portal.webhooks", "GET"): portal(P.MANAGE_WEBHOOKS),
    ("portal.webhooks", "POST"): portal(P.MANAGE_WEBHOOKS, ok=422),  # no URL
    ("portal.webhook_detail", "GET"): portal(P.MANAGE_WEBHOOKS),
    ("portal.webhook_detail", "POST"): portal(P.MANAGE_WEBHOOKS, ok=302),
    "portal.webhook_delivery": portal(P.MANAGE_WEBHOOKS),
    "portal.webhook_rotate_secret": portal(P.MANAGE_WEBHOOKS),
    "portal.webhook_enable": portal(P.MANAGE_WEBHOOKS, ok=302),
    "portal.webhook_disable": portal(P.MANAGE_WEBHOOKS, ok=302),
    "portal.webhook_delete": portal(P.MANAGE_WEBHOOKS, ok=302),
    "portal.webhook_redeliver": portal(P.MANAGE_WEBHOOKS, ok=302),
    # the manufacturer API (bodies are empty JSON objects unless given)
    ("api_leads.Leads", "GET"): manage(),
    ("api_leads.Leads", "POST"): manage_api_write(P.MANAGE_LEADS, ok=422),
    ("api_leads.LeadResource", "GET"): manage(),
    ("api_leads.LeadResource", "PATCH"): manage_api_write(P.MANAGE_LEADS),
    "api_leads.LeadPublish": manage_api_write(P.MANAGE_LEADS),
    "api_leads.LeadWithdraw": manage_api_write(P.MANAGE_LEADS),
    "api_leads.LeadBatch": manage_api_write(P.MANAGE_LEADS, ok=422),
    "api_leads.LeadsPublish": manage_api_write(P.MANAGE_LEADS, ok=422),
    "api_leads.LeadsWithdraw": manage_api_write(P.MANAGE_LEADS, ok=422),
    ("api_campaigns.Campaigns", "GET"): manage(),
    ("api_campaigns.Campaigns", "POST"): manage_api_write(P.MANAGE_CAMPAIGNS, ok=422),
    ("api_campaigns.CampaignResource", "GET"): manage(),
    ("api_campaigns.CampaignResource", "PATCH"): manage_api_write(P.MANAGE_CAMPAIGNS),
    ("api_campaigns.CampaignResource", "DELETE"): manage_api_write(P.MANAGE_CAMPAIGNS, ok=204),
    "api_campaigns.CampaignResults": manage(),
    "api_campaigns.CampaignReturn": manage(),
    "api_analytics.AnalyticsOverview": manage(P.VIEW_ANALYTICS),
    "api_analytics.FairnessFigures": manage(P.VIEW_ANALYTICS),
    "api_analytics.CoverageGaps": manage(P.VIEW_ANALYTICS),
    "api_analytics.ReturnOnLeads": manage(P.VIEW_ANALYTICS),
    ("api_partners.Partners", "GET"): manage(),
    ("api_partners.Partners", "POST"): manage_api_write(P.MANAGE_PARTNERS, ok=422),  # an empty body
    ("api_partners.PartnerResource", "GET"): manage(),
    ("api_partners.PartnerResource", "PATCH"): manage_api_write(P.MANAGE_PARTNERS),
    ("api_sla_policies.SlaPolicies", "GET"): manage(),
    ("api_sla_policies.SlaPolicies", "PUT"): manage_api_write(P.EDIT_SLA_POLICIES, ok=422),
    "api_sla_policies.SlaPoliciesReset": manage_api_write(P.EDIT_SLA_POLICIES),
    # the partner API
    "api_partner_offers.Offers": portal(),
    "api_partner_offers.OfferResource": portal(),
    "api_partner_offers.ClaimOffer": portal(P.CLAIM_OFFERS, ok=409),  # not claimable in this data
    "api_partner_offers.DeclineOffer": portal(P.CLAIM_OFFERS, ok=422),
    "api_partner_leads.ClaimedLeads": portal(),
    "api_partner_leads.ClaimedLead": portal(),
    "api_partner_leads.Contacts": portal(ok=422),
    "api_partner_leads.Notes": portal(ok=422),
    "api_partner_leads.Status": portal(ok=422),
    "api_partner_leads.Return": portal(ok=422),
    ("api_partner_profile.PartnerProfile", "GET"): portal(),
    ("api_partner_profile.PartnerProfile", "PATCH"): portal(P.EDIT_PARTNER_PROFILE, body={"capacity": 5}),
    ("api_partner_profile.PartnerProfile", "PUT"): portal(
        P.EDIT_PARTNER_PROFILE, ok=422, body={"capacity": 5}
    ),
    # enrollments (issue 12): the matrix's enrollment is active, so accepting, declining,
    # reactivating and reassigning are refused as conflicts (pages: a message and back)
    "portal.programmes": portal(),
    "portal.accept_programme": portal(P.MANAGE_PROGRAMMES, ok=302),
    "portal.decline_programme": portal(P.MANAGE_PROGRAMMES, ok=302),
    "manage.suspend_partner": manage(P.MANAGE_PARTNERS, ok=302, body=REASON),
    "manage.end_partner": manage(P.MANAGE_PARTNERS, ok=302, body=REASON),
    "manage.reactivate_partner": manage(P.MANAGE_PARTNERS, ok=302),
    "manage.reassign_partner_claims": manage(P.MANAGE_PARTNERS, ok=302),
    "api_enrollments.Enrollments": SIGNED_IN,  # each side its own
    "api_enrollments.EnrollmentResource": SIGNED_IN,
    "api_enrollments.EnrollmentAccept": gate(Need(P.MANAGE_PROGRAMMES, after_csrf=True), ok=409),
    "api_enrollments.EnrollmentDecline": gate(Need(P.MANAGE_PROGRAMMES, after_csrf=True), ok=409),
    "api_enrollments.EnrollmentSuspend": gate(Need(P.MANAGE_PARTNERS, after_csrf=True), body=REASON),
    "api_enrollments.EnrollmentEnd": gate(Need(P.MANAGE_PARTNERS, after_csrf=True), body=REASON),
    "api_enrollments.EnrollmentReactivate": gate(Need(P.MANAGE_PARTNERS, after_csrf=True), ok=409),
    "api_enrollments.EnrollmentReassign": gate(Need(P.MANAGE_PARTNERS, after_csrf=True), ok=409),
    ("api_availability.Availability", "GET"): portal(),
    ("api_availability.Availability", "PUT"): portal(P.MANAGE_PROGRAMMES, body={"reason": "Trade fair"}),
    ("api_availability.Availability", "DELETE"): portal(P.MANAGE_PROGRAMMES),
    ("api_partner_webhooks.WebhookEndpoints", "GET"): webhooks_api(),
    ("api_partner_webhooks.WebhookEndpoints", "POST"): webhooks_api(ok=422),
    ("api_partner_webhooks.WebhookEndpointResource", "GET"): webhooks_api(),
    ("api_partner_webhooks.WebhookEndpointResource", "DELETE"): webhooks_api(ok=204),
    "api_partner_webhooks.WebhookDeliveries": webhooks_api(),
    "api_partner_webhooks.WebhookRedelivery": webhooks_api(ok=202),
    "api_partner_webhooks.WebhookEnable": webhooks_api(),
    "api_partner_webhooks.WebhookSecretRotation": webhooks_api(),
}


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    rule: Any
    expect: Expect

    @property
    def api(self) -> bool:
        return self.rule.rule.startswith("/api/v1/")

    @property
    def writes(self) -> bool:
        return self.method not in SAFE_METHODS


class MissingExpectations(AssertionError):
    pass


def matrix_cases(app: Flask) -> list[Case]:
    """One case per rule and method of ``app``; fails listing the rules without an expectation (and
    the expectations without a rule)."""
    cases, missing, used = [], [], set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule)):
        if rule.endpoint in SKIPPED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            key = (rule.endpoint, method) if (rule.endpoint, method) in EXPECTED else rule.endpoint
            if key not in EXPECTED:
                missing.append(f"{rule.endpoint} {method} {rule.rule}")
                continue
            used.add(key)
            cases.append(Case(rule.endpoint, method, rule, EXPECTED[key]))
    stale = [str(key) for key in EXPECTED if key not in used]
    if missing or stale:
        raise MissingExpectations(
            "Routes without an expectation in EXPECTED (add one): " + ", ".join(missing) + "; "
            "expectations without a route: " + ", ".join(stale)
        )
    return cases


# --- one application, one data set --------------------------------------------------------------


class _NoJobs:
    """Jobs stay in the outbox: none runs in the middle of the matrix (nor after its rollbacks)."""

    def hand_over(self, jobs: list) -> int:
        return 0

    def drain(self, timeout: float = 30) -> bool:
        return True

    def shutdown(self) -> None:
        pass

    def health(self) -> dict:
        return {"queue": "embedded"}


def _signed_in_as(user) -> SimpleNamespace:
    # f.login needs only get_id(); the session id outlives the instance's session.
    return SimpleNamespace(get_id=lambda sid=user.get_id(): sid)


def build_world(tmp) -> SimpleNamespace:
    maker = f.manufacturer("Maker A")
    other_maker = f.manufacturer("Maker B")
    partner = f.partner(maker, "Partner A")
    other_partner = f.partner(other_maker, "Partner B")
    users = {role: f.user(maker if role in roles_with(MANAGE) else partner, role) for role in Role}
    invited = f.user(partner, P_REP)
    draft = f.lead(maker)
    offer = f.offer(f.lead(maker, status=LeadStatus.PUBLISHED), partner)
    claimed_lead = f.lead(maker)
    claim = f.claim(f.offer(claimed_lead, partner))
    other_lead = f.lead(other_maker)
    other_offer = f.offer(other_lead, other_partner)
    other_claim = f.claim(f.offer(f.lead(other_maker), other_partner))
    other_partner_user = f.user(other_partner, P_ADMIN)
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.manufacturer_id == maker.id, Enrollment.partner_id == partner.id
        )
    )
    other_enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.partner_id == other_partner.id)
    )
    # The matrix's partner is invited to the other programme too: its manufacturer must not reach it.
    shared_enrollment = enroll(other_maker, partner, status=EnrollmentStatus.INVITED)
    other_maker_user = f.user(other_maker, M_ADMIN)
    tokens = {role: issue_token(user, "matrix", TokenScope.READ_WRITE) for role, user in users.items()}
    read_tokens = {role: issue_token(user, "matrix read", TokenScope.READ) for role, user in users.items()}
    other_partner_token = issue_token(other_partner_user, "theirs", TokenScope.READ)
    other_maker_token = issue_token(other_maker_user, "theirs", TokenScope.READ)
    webhook = f.webhook_endpoint(partner)
    other_webhook = f.webhook_endpoint(other_partner)
    delivery = WebhookDelivery(
        endpoint_id=webhook.id, event_type="offer.created", status=DeliveryStatus.FAILED
    )
    db.session.add(delivery)
    campaign = create_campaign(maker, {"name": "Fair", "cost": 100})
    other_campaign = create_campaign(other_maker, {"name": "Their fair", "cost": 100})
    (tmp / "import.csv").write_text("company_name\nBuyer GmbH\n")
    lead_import = LeadImport(
        manufacturer_id=maker.id,
        file_name="import.csv",
        stored_path=str(tmp / "import.csv"),
        file_format="csv",
        settings={"format": "csv"},
        status=ImportStatus.DONE,
        total_rows=1,
        rows_done=1,
    )
    db.session.add(lead_import)
    partner_imports = [
        LeadImport(
            manufacturer_id=owner.id,
            kind="partners",
            file_name="partners.csv",
            stored_path=str(tmp / "import.csv"),
            file_format="csv",
            settings={"format": "csv"},
            status=ImportStatus.DONE,
        )
        for owner in (maker, other_maker)
    ]
    db.session.add_all(partner_imports)
    notifications = {
        role: Notification(user_id=user.id, kind="offer.created", title="New lead", link="/")
        for role, user in users.items()
    }
    db.session.add_all(notifications.values())
    db.session.flush()
    return SimpleNamespace(
        sessions={role: _signed_in_as(user) for role, user in users.items()},
        other_partner_user=_signed_in_as(other_partner_user),
        other_maker_user=_signed_in_as(other_maker_user),
        bearer={role: issued.plaintext for role, issued in tokens.items()},
        read_bearer={role: issued.plaintext for role, issued in read_tokens.items()},
        notifications={role: row.id for role, row in notifications.items()},
        # URL parameters by name; token_id and token depend on the endpoint (see url_of)
        params={
            "lead_id": draft.id,
            "offer_id": offer.id,
            "claim_id": claim.id,
            "campaign_id": campaign.id,
            "import_id": lead_import.id,
            "endpoint_id": webhook.id,
            "delivery_id": delivery.id,
            "user_id": users[P_REP].id,
            "enrollment_id": enrollment.id,
            "partner_id": partner.id,
        },
        partner_import=partner_imports[0].id,
        maker_member=users[C_MGR].id,
        partner_token=tokens[P_ADMIN].token.id,
        maker_token=tokens[M_ADMIN].token.id,
        invitation=make_token(invited, LinkPurpose.INVITE),
        reset=make_token(users[P_REP], LinkPurpose.RESET),
        ids={
            "lead": draft.id,
            "claimed_lead": claimed_lead.id,
            "offer": offer.id,
            "webhook": webhook.id,
            "other_lead": other_lead.id,
            "other_offer": other_offer.id,
            "other_claim": other_claim.id,
            "other_campaign": other_campaign.id,
            "other_partner_import": partner_imports[1].id,
            "other_webhook": other_webhook.id,
            "other_partner_member": other_partner_user.id,
            "other_maker_member": other_maker_user.id,
            "partner_member": users[P_REP].id,
            "maker_member": users[C_MGR].id,
            "other_partner_token": other_partner_token.token.id,
            "other_maker_token": other_maker_token.token.id,
            "other_enrollment": other_enrollment.id,
            "shared_enrollment": shared_enrollment.id,
        },
    )


def url_of(case: Case, world: SimpleNamespace, caller: Role | str) -> str:
    values: dict[str, Any] = {}
    for name in case.rule.arguments:
        if name == "notification_id":  # the caller's own notification
            values[name] = world.notifications.get(caller, world.notifications[P_REP])
        elif name == "import_id" and case.endpoint.startswith("manage.partner_import"):
            values[name] = world.partner_import
        elif name == "token_id":
            values[name] = world.partner_token if case.endpoint.startswith("portal.") else world.maker_token
        elif name == "user_id" and (
            case.endpoint.startswith("manage.")
            or (case.endpoint.startswith("api_team.") and caller in roles_with(MANAGE))
        ):  # a member of the caller's own organisation
            values[name] = world.maker_member
        elif name == "token":
            values[name] = world.invitation if case.endpoint == "auth.accept_invitation" else world.reset
        else:
            values[name] = world.params[name]
    return case.rule.build(values, append_unknown=False)[1]


class Matrix:
    def __init__(self, app: Flask, world: SimpleNamespace, connection) -> None:
        self.app, self.world, self.connection = app, world, connection

    @contextmanager
    def undone(self) -> Iterator[None]:
        savepoint = self.connection.begin_nested()
        try:
            yield
        finally:
            savepoint.rollback()

    def call(self, method: str, url: str, *, user=None, bearer: str | None = None, body: dict | None = None):
        """One request as ``user`` (a session) or with ``bearer``; whatever it changes is undone."""
        client = self.app.test_client()
        if user is not None:
            f.login(client, user)
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        kwargs: dict[str, Any] = {"headers": headers}
        if method not in SAFE_METHODS:
            if url.startswith("/api/"):
                kwargs["json"] = body or {}
            else:
                kwargs["data"] = body or {}
        with self.undone():
            response = client.open(url, method=method, **kwargs)
            response.close()  # the CSV export is a file
        return response


@pytest.fixture(scope="module")
def matrix(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    tmp = tmp_path_factory.mktemp("matrix")
    if ON_POSTGRES:
        url = database_template
    else:
        shutil.copyfile(database_template.removeprefix("sqlite:///"), tmp / "matrix.sqlite")
        url = f"sqlite:///{tmp / 'matrix.sqlite'}"
    app = create_app(_base_config(tmp) | {"DATABASE_URL": url})
    app.test_client_class = IsolatedClient
    with app.app_context():
        app.extensions[jobs._EXTENSION].backend = _NoJobs()  # noqa: SLF001 - the test swaps the backend
        world = build_world(tmp)
        db.session.commit()
        db.session.remove()
        # Every request's session joins one connection inside a savepoint (its commit releases
        # the savepoint, Matrix.undone rolls it back). API reads otherwise switch their connection
        # to autocommit, which a connection inside a transaction cannot.
        app.before_request_funcs[None].remove(_read_without_transaction)
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        session_options = db.session.session_factory.kw
        before = dict(session_options)
        session_options["join_transaction_mode"] = "create_savepoint"
        engines[None] = connection
        try:
            yield Matrix(app, world, connection)
        finally:
            engines[None] = engine
            session_options.clear()
            session_options.update(before)
            db.session.remove()
            outer.rollback()
            connection.close()
            engine.dispose()
            if ON_POSTGRES:
                _truncate_all(url)


# --- the matrix ---------------------------------------------------------------------------------


def _check(matrix: Matrix, case: Case, caller, expected: int, *, bearer=None, session=True) -> str | None:
    world = matrix.world
    user = world.sessions.get(caller) if session and bearer is None else None
    url = url_of(case, world, caller)
    response = matrix.call(case.method, url, user=user, bearer=bearer, body=case.expect.body)
    problem = None
    if response.status_code != expected:
        problem = f"got {response.status_code}: {response.get_data(as_text=True)[:160]!r}"
    elif caller == ANON and expected == 302 and "/login" not in response.headers["Location"]:
        problem = f"sent to {response.headers['Location']}, not to sign in"
    if problem:
        how = (
            "read-only token"
            if bearer and bearer in world.read_bearer.values()
            else "session"
            if user
            else "bearer"
        )
        where = f"{case.method} {case.rule.rule} ({case.endpoint})"
        return f"{where} as {caller} ({how}): expected {expected}, {problem}"
    return None


def test_permission_matrix(matrix):
    """Every route, every method, every role and an anonymous caller: pages with a session, the API
    with a read_write bearer token of the role."""
    failures = []
    for case in matrix_cases(matrix.app):
        for caller in CALLERS:
            expected = case.expect.status(caller, api=case.api)
            bearer = matrix.world.bearer.get(caller) if case.api else None
            failures.append(_check(matrix, case, caller, expected, bearer=bearer))
    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_read_only_tokens_read_but_never_write(matrix):
    """The same API routes with a read-only token of each role: every write answers 403, reads
    answer as with a read_write token (except where the route wants a read_write token for reads)."""
    failures = []
    for case in matrix_cases(matrix.app):
        if not case.api:
            continue
        for role in Role:
            expected = case.expect.status(role, api=True)
            if case.writes or (case.expect.read_write_token and expected not in (401, 403)):
                expected = 403
            failures.append(_check(matrix, case, role, expected, bearer=matrix.world.read_bearer[role]))
    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_session_writes_on_the_api_need_the_csrf_header(matrix):
    """API writes from a signed-in browser without ``X-CSRFToken``: 400 once the caller passed the
    role gates checked before it (401 anonymous, 403 the wrong role)."""
    failures = []
    matrix.app.config["WTF_CSRF_ENABLED"] = True
    try:
        for case in matrix_cases(matrix.app):
            if not (case.api and case.writes):
                continue
            for caller in CALLERS:
                expected = case.expect.status(caller, api=True, csrf=True)
                failures.append(_check(matrix, case, caller, expected))
    finally:
        matrix.app.config["WTF_CSRF_ENABLED"] = False
    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_a_route_without_an_expectation_fails_the_matrix(tmp_path):
    app = create_app(_base_config(tmp_path) | {"DATABASE_URL": "sqlite://"})
    app.add_url_rule("/portal-extra", "unlisted_page", lambda: "")
    with pytest.raises(MissingExpectations, match="unlisted_page GET /portal-extra"):
        matrix_cases(app)
    assert matrix_cases(create_app(_base_config(tmp_path) | {"DATABASE_URL": "sqlite://"}))


def test_the_matrix_leaves_its_data_as_it_found_it(matrix):
    """Each request's changes were rolled back (this runs after the matrix): the rep it deactivated
    still signs in, the lead it published is a draft, the endpoint it deleted and the token it
    revoked still work."""
    world, ids = matrix.world, matrix.world.ids
    assert matrix.call("GET", "/portal/leads", user=world.sessions[P_REP]).status_code == 200
    lead = matrix.call("GET", f"/api/v1/leads/{ids['lead']}", user=world.sessions[M_ADMIN]).get_json()
    assert lead["status"] == "draft"
    assert (
        matrix.call("GET", f"/portal/webhooks/{ids['webhook']}", user=world.sessions[P_ADMIN]).status_code
        == 200
    )
    assert matrix.call("GET", "/api/v1/me", bearer=world.bearer[P_ADMIN]).status_code == 200


# --- the table itself -------------------------------------------------------------------------

# Written out, so that a change to who may do what is a change to this test as well.
WHO_HOLDS_WHAT = {
    P.READ_NOTIFICATIONS: {M_ADMIN, C_MGR, P_ADMIN, P_REP},
    P.USE_MANUFACTURER_AREA: {M_ADMIN, C_MGR},
    P.VIEW_ANALYTICS: {M_ADMIN, C_MGR},
    P.MANAGE_LEADS: {M_ADMIN},
    P.MANAGE_CAMPAIGNS: {M_ADMIN},
    P.EDIT_QUALIFICATION_RULES: {M_ADMIN},
    P.EDIT_MATCHING_WEIGHTS: {M_ADMIN},
    P.EDIT_SLA_POLICIES: {M_ADMIN},
    P.EDIT_PROGRAMME_SETTINGS: {M_ADMIN},
    P.MANAGE_PARTNERS: {M_ADMIN},
    P.USE_PARTNER_AREA: {P_ADMIN, P_REP},
    P.CLAIM_OFFERS: {P_ADMIN, P_REP},
    P.ASSIGN_LEADS: {P_ADMIN},
    P.EDIT_PARTNER_PROFILE: {P_ADMIN},
    P.MANAGE_WEBHOOKS: {P_ADMIN},
    P.MANAGE_PROGRAMMES: {P_ADMIN},
    P.MANAGE_TEAM: {P_ADMIN, M_ADMIN},
    P.MANAGE_TOKENS: {P_ADMIN, M_ADMIN},
}


def test_who_holds_each_permission():
    assert {permission: set(roles) for permission, roles in ROLES_WITH.items()} == WHO_HOLDS_WHAT


ROOT = Path(__file__).resolve().parent.parent
ROLE_CHECKS = re.compile(
    r"\b(?:current_user|actor)\.role\s*(?:==|!=|in\b|not\s+in\b)"  # comparing the caller's role
    r"|[=!]=\s*(?:Role\.|['\"](?:partner_admin|partner_rep|manufacturer_admin|channel_manager)['\"])"
    r"|\b(?:roles_required|require_roles|require_api_roles|write_roles)\b"  # the gates this module replaced
)


def test_every_role_check_asks_the_permissions_module():
    """Gates, views, templates and services name a permission; only the permissions module maps
    permissions to roles (showing a role's label is not a check)."""
    found = []
    for folder in ("exchange", "portal", "manufacturer_admin"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".html") or path.name == "permissions.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ROLE_CHECKS.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "check a permission instead (exchange.accounts.permissions.can):\n" + "\n".join(found)


# --- another organisation's objects -------------------------------------------------------------

GUESSES = [
    # (path, role of the prober) - each names an object of *another* organisation
    ("/manage/leads/{other_lead}", M_ADMIN),
    ("/manage/leads/{other_lead}", C_MGR),
    ("/manage/leads/{other_lead}/edit", M_ADMIN),
    ("/api/v1/leads/{other_lead}", M_ADMIN),
    ("/portal/offers/{other_offer}", P_ADMIN),
    ("/portal/offers/{other_offer}", P_REP),
    ("/manage/leads/999999", M_ADMIN),
    ("/portal/webhooks/{other_webhook}", P_ADMIN),
    ("/api/v1/partner/webhooks/{other_webhook}", P_ADMIN),
    ("/api/v1/partner/webhooks/{other_webhook}/deliveries", P_ADMIN),
    ("/portal/leads/{other_claim}", P_REP),
    ("/api/v1/partner/leads/{other_claim}", P_REP),
    ("/api/v1/partner/offers/{other_offer}", P_REP),
    ("/manage/leads/{other_lead}/partners", C_MGR),
    ("/manage/campaigns/{other_campaign}", C_MGR),
    ("/manage/partners/imports/{other_partner_import}", M_ADMIN),
    ("/manage/partners/imports/{other_partner_import}/progress", M_ADMIN),
    ("/api/v1/campaigns/{other_campaign}/results", M_ADMIN),
    ("/api/v1/analytics/return-on-leads?campaign={other_campaign}", C_MGR),
    ("/manage/analytics/return-on-leads.csv?campaign={other_campaign}", C_MGR),
    ("/manage/analytics/fairness?campaign={other_campaign}", C_MGR),
    ("/api/v1/analytics/coverage?campaign={other_campaign}", C_MGR),
    ("/manage/partners/{other_enrollment}", M_ADMIN),
    ("/manage/partners/{other_enrollment}", C_MGR),
    ("/api/v1/partners/{other_enrollment}", M_ADMIN),
    ("/api/v1/partners/{other_enrollment}", C_MGR),
    ("/manage/partners/{shared_enrollment}", M_ADMIN),
    ("/api/v1/partners/{shared_enrollment}", M_ADMIN),
    ("/api/v1/team/{other_maker_member}", M_ADMIN),
    ("/api/v1/team/{partner_member}", M_ADMIN),
    ("/api/v1/team/{other_partner_member}", P_ADMIN),
    ("/api/v1/team/{maker_member}", P_ADMIN),
    ("/api/v1/enrollments/{other_enrollment}", M_ADMIN),
    ("/api/v1/enrollments/{other_enrollment}", C_MGR),
    ("/api/v1/enrollments/{other_enrollment}", P_ADMIN),
    ("/api/v1/enrollments/{other_enrollment}", P_REP),
    # the same partner's enrollment in another programme
    ("/api/v1/enrollments/{shared_enrollment}", M_ADMIN),
]

WRITE_GUESSES = [
    ("/portal/team/{other_partner_member}/deactivate", {}, P_ADMIN),
    ("/portal/team/{other_partner_member}/role", {"role": "partner_rep"}, P_ADMIN),
    ("/portal/team/{other_partner_member}/resend", {}, P_ADMIN),
    ("/portal/tokens/{other_partner_token}/revoke", {}, P_ADMIN),
    ("/manage/tokens/{other_maker_token}/revoke", {}, M_ADMIN),
    ("/manage/partners/{other_enrollment}/programme", {"tier": "gold"}, M_ADMIN),
    ("/manage/partners/{other_enrollment}/resend", {}, M_ADMIN),
    ("/manage/team/{other_maker_member}/deactivate", {}, M_ADMIN),
    ("/manage/team/{other_maker_member}/role", {"role": "channel_manager"}, M_ADMIN),
    ("/manage/team/{partner_member}/resend", {}, M_ADMIN),
    ("/manage/team/{partner_member}/unlock", {}, M_ADMIN),
    ("/api/v1/team/{other_maker_member}/deactivate", {}, M_ADMIN),
    ("/api/v1/team/{partner_member}/reactivate", {}, M_ADMIN),
    ("/api/v1/team/{other_partner_member}/resend", {}, P_ADMIN),
    ("/api/v1/team/{maker_member}/deactivate", {}, P_ADMIN),
    ("/portal/programmes/{other_enrollment}/accept", {}, P_ADMIN),
    ("/portal/programmes/{other_enrollment}/decline", {}, P_ADMIN),
    ("/manage/partners/{other_enrollment}/suspend", {"reason": "x"}, M_ADMIN),
    ("/manage/partners/{shared_enrollment}/end", {"reason": "x"}, M_ADMIN),
    ("/manage/partners/{other_enrollment}/reactivate", {}, M_ADMIN),
    ("/manage/partners/{other_enrollment}/reassign", {}, M_ADMIN),
    ("/api/v1/enrollments/{other_enrollment}/accept", {}, P_ADMIN),
    ("/api/v1/enrollments/{shared_enrollment}/suspend", {"reason": "x"}, M_ADMIN),
    ("/api/v1/enrollments/{other_enrollment}/reassign", {}, M_ADMIN),
]


@pytest.mark.parametrize(("path", "role"), GUESSES)
def test_guessing_ids_of_another_organisation_gives_404(matrix, path, role):
    response = matrix.call("GET", path.format(**matrix.world.ids), user=matrix.world.sessions[role])
    assert response.status_code == 404


@pytest.mark.parametrize(("path", "body", "role"), WRITE_GUESSES)
def test_changing_objects_of_another_organisation_gives_404(matrix, path, body, role):
    response = matrix.call(
        "POST", path.format(**matrix.world.ids), user=matrix.world.sessions[role], body=body
    )
    assert response.status_code == 404


def test_the_other_tenant_sees_its_own_objects(matrix):
    """The 404s above are about ownership, not broken routes: the owners get 200."""
    world, ids = matrix.world, matrix.world.ids
    maker, partner = world.other_maker_user, world.other_partner_user
    assert matrix.call("GET", f"/manage/leads/{ids['other_lead']}", user=maker).status_code == 200
    assert matrix.call("GET", f"/manage/leads/{ids['lead']}", user=maker).status_code == 404
    assert matrix.call("GET", f"/portal/offers/{ids['other_offer']}", user=partner).status_code == 200
    assert matrix.call("GET", f"/portal/offers/{ids['offer']}", user=partner).status_code == 404
    assert matrix.call("GET", f"/portal/webhooks/{ids['other_webhook']}", user=partner).status_code == 200
    assert matrix.call("GET", f"/portal/webhooks/{ids['webhook']}", user=partner).status_code == 404
    assert matrix.call("GET", f"/api/v1/team/{ids['other_maker_member']}", user=maker).status_code == 200
    assert matrix.call("GET", f"/api/v1/team/{ids['other_partner_member']}", user=partner).status_code == 200


def test_lists_only_show_own_objects(matrix):
    world = matrix.world
    leads = matrix.call("GET", "/api/v1/leads", user=world.sessions[M_ADMIN]).get_json()["items"]
    assert world.ids["other_lead"] not in {item["id"] for item in leads}
    assert {world.ids["lead"], world.ids["claimed_lead"]} <= {item["id"] for item in leads}
    offers = matrix.call("GET", "/api/v1/partner/offers", user=world.sessions[P_REP]).get_json()["items"]
    assert [item["id"] for item in offers] == [world.ids["offer"]]
