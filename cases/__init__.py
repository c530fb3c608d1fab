"""The closed loop's workflow over the case records (issue #15): what a caller may see and do, shared by the JSON
API, Open311 and the case console."""
