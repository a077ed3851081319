"""The partner admin keeps the profile that matching uses: ``/portal/profile``."""

from __future__ import annotations

import functools
from zoneinfo import available_timezones

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.permissions import Permission, require
from exchange.partners.profiles import (
    ProfileInvalid,
    partner_enrollments,
    profile_values,
    profile_version,
    selectable_product_lines,
    update_profile,
)
from exchange.platform import unit_of_work
from exchange.platform.errors import Conflict, DomainError
from exchange.platform.iso_codes import country_names
from exchange.platform.tenancy import current_org
from portal import bp
from portal.profile_forms import build_profile_form


@bp.route("/profile", methods=["GET", "POST"])
@require(Permission.EDIT_PARTNER_PROFILE)
def profile():
    org = current_org()
    programmes = [
        (enrollment, selectable_product_lines(enrollment)) for enrollment in partner_enrollments(org)
    ]
    if request.method == "POST":
        form = build_profile_form(programmes)
    else:
        form = build_profile_form(programmes, profile_values(org))
        form.version.data = profile_version(org.profile)
    problems: list[str] = []
    section_problems: dict[str, list[str]] = {}
    bad_rows: set[int] = set()
    if form.validate_on_submit():
        try:
            changes = update_profile(
                current_user._get_current_object(),
                org,
                form.profile_data(),
                expected_version=form.version.data or None,
            )
        # Each refusal shows differently: problems per field and section, a stale version, a message.
        except ProfileInvalid as error:
            unit_of_work.discard()
            problems = [message for messages in error.errors.values() for message in messages]
            bad_rows = error.coverage_rows
            section_problems = {
                name: error.errors[name] for name in ("coverage", "programmes") if name in error.errors
            }
            for name, messages in error.errors.items():
                if name in form and name not in section_problems:
                    form[name].errors = [*form[name].errors, *messages]
        except Conflict as error:
            unit_of_work.discard()
            flash(error.message, "danger")
            # Saving again now overwrites knowingly: the form carries what the admin typed.
            form.version.data = profile_version(org.profile)
        except DomainError as error:
            unit_of_work.discard()
            flash(error.message, "danger")
        else:
            if changes:
                flash(_("Profile saved."), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(url_for("portal.profile"))
    elif form.errors:
        problems = [
            f"{form[name].label.text}: {message}"
            for name, messages in form.errors.items()
            if name != "coverage"
            for message in messages
        ]
    return render_template(
        "portal/profile.html",
        form=form,
        profile=org.profile,
        programmes=programmes,
        problems=problems,
        section_problems=section_problems,
        bad_rows=bad_rows,
        countries=country_names(get_locale() or "en"),
        zones=_zone_names(),
    )


@functools.cache
def _zone_names() -> list[str]:
    return sorted(available_timezones())
