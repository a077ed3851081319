"""Pages and API plumbing shared by every audience: the page shell and error pages, sign-in and
account pages, the notifications inbox, the REST API's setup."""
