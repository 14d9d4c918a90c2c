"""The events calendar: events from the report and members, attendance, iCal feeds."""
