"""Campaigns (name, channel, dates, cost) and the qualification rules of the programme."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.permissions import Permission, can, require
from exchange.leads import campaigns as campaign_service
from exchange.leads.qualification import rules_for, update_rules
from exchange.models import Campaign
from exchange.platform.tenancy import current_org, get_scoped_or_404
from exchange.web import charts
from exchange.web.errors import refused
from manufacturer_admin import bp
from manufacturer_admin.lead_forms import CampaignForm, QualificationRulesForm


@bp.route("/campaigns")
def campaigns():
    """Campaigns with their Return on Leads: published, claimed, won and the won revenue against cost."""
    org = current_org()
    return render_template(
        "manage/campaigns.html",
        results=campaign_service.campaign_results(org.id),
        can_edit=can(current_user, Permission.MANAGE_CAMPAIGNS),
    )


@bp.route("/campaigns/<int:campaign_id>")
def campaign_detail(campaign_id: int):
    """One campaign's results and its Return on Leads month by month."""
    org = current_org()
    campaign = get_scoped_or_404(Campaign, campaign_id, org)
    result = campaign_service.campaign_result(campaign)
    curve = None
    if campaign.cost and result.months:
        curve = charts.lines(
            [str(index) for index in range(len(result.months))],
            {campaign.name: [m.return_on_leads for m in result.months]},
            _("Cumulative won revenue as a share of cost, by months since the campaign started"),
            percent=True,
            show_dots=len(result.months) <= 24,
        )
    return render_template(
        "manage/campaign_detail.html",
        campaign=campaign,
        result=result,
        curve=curve,
        can_edit=can(current_user, Permission.MANAGE_CAMPAIGNS),
    )


def _campaign_data(form: CampaignForm) -> dict:
    return {
        "name": form.name.data,
        "channel": (form.channel.data or "").strip() or None,
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "cost": form.cost.data,
        "currency": (form.currency.data or "").strip() or None,
        "description": (form.description.data or "").strip() or None,
    }


@bp.route("/campaigns/new", methods=["GET", "POST"])
@require(Permission.MANAGE_CAMPAIGNS)
def new_campaign():
    form = CampaignForm()
    if form.validate_on_submit():
        with refused(form, category="error"):
            campaign_service.create_campaign(current_org(), _campaign_data(form))
            flash(_("Campaign created."), "success")
            return redirect(url_for("manage.campaigns"))
    return render_template("manage/campaign_form.html", form=form, campaign=None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_CAMPAIGNS)
def edit_campaign(campaign_id: int):
    campaign = get_scoped_or_404(Campaign, campaign_id, current_org())
    form = CampaignForm(obj=campaign)
    if form.validate_on_submit():
        with refused(form, category="error"):
            campaign_service.update_campaign(campaign, _campaign_data(form))
            flash(_("Campaign saved."), "success")
            return redirect(url_for("manage.campaigns"))
    return render_template(
        "manage/campaign_form.html",
        form=form,
        campaign=campaign,
        lead_count=campaign_service.lead_count(campaign),
    )


@bp.route("/campaigns/<int:campaign_id>/delete", methods=["POST"])
@require(Permission.MANAGE_CAMPAIGNS)
def delete_campaign(campaign_id: int):
    campaign = get_scoped_or_404(Campaign, campaign_id, current_org())
    with refused(category="error"):
        campaign_service.delete_campaign(campaign)
        flash(_("Campaign deleted."), "success")
        return redirect(url_for("manage.campaigns"))
    return redirect(url_for("manage.edit_campaign", campaign_id=campaign_id))


@bp.route("/qualification", methods=["GET", "POST"])
@require(Permission.EDIT_QUALIFICATION_RULES)
def qualification():
    org = current_org()
    rules = rules_for(org.program)
    form = QualificationRulesForm(data=rules.as_dict() | {"requalify": True})
    if form.validate_on_submit():
        data = {
            "hot_min": form.hot_min.data,
            "warm_min": form.warm_min.data or 0,
            "hot_requires": form.hot_requires.data,
            "warm_requires": form.warm_requires.data,
        }
        with refused(form, category="error"):
            changed = update_rules(current_user, org, data, requalify_drafts=form.requalify.data)
            flash(
                _("Qualification rules saved; %(n)d draft leads changed temperature.", n=changed), "success"
            )
            return redirect(url_for("manage.qualification"))
    return render_template("manage/qualification.html", form=form, rules=rules)
