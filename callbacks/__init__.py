"""Thin @dash.callback wrappers around pure view functions."""

# The row of a console's list that was clicked, chosen in the browser (the alert and case consoles): a server round
# trip here lost clicks whenever the table was re-rendered (a tick, a change of view) while it was in flight, because
# re-rendered rows re-trigger the callback with no clicks and Dash drops the earlier, now stale, answer (seen on the
# alert console under load at +365 d). Rows arrive with no clicks and change nothing.
PICKED_ROW = """function (clicks) {
    var keep = window.dash_clientside.no_update;
    var t = window.dash_clientside.callback_context.triggered;
    if (!t || t.length !== 1 || !t[0].value) { return keep; }
    try { return JSON.parse(t[0].prop_id.slice(0, t[0].prop_id.lastIndexOf("."))).id; } catch (e) { return keep; }
}"""
