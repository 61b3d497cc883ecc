"""The signed-in case pages: the work queue (`work`), the case page and its steps (`case`), the applicant's page
(`apply`); what they share (`common`)."""
