"""Views of the networks app, one module per area; each view is thin (permission, form,
one service call, redirect or render)."""
