"""The ground floor: what every other floor shares and that imports nothing of the project but `indicators`.

The reading and its rejections (`readings`), the indicators derived from a reading (`derive`), the per-tick summary
every screen, the runner and the alert metrics share (`summary`), what an alert is and how its state moves
(`alerts`), roles and permissions (`roles`), every user-facing string (`i18n`).
"""
