"""Response-time SLAs: business time (:mod:`exchange.sla.calendar`, pure), partner calendars
(:mod:`exchange.sla.partners`), deadline policies (:mod:`exchange.sla.policies`), the clocks of a claim
(:mod:`exchange.sla.clocks`), the sweep that enforces them and the partners' responsiveness.
"""
