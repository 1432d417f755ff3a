"""Consultations: bookings against availability, payments and refunds, invoices, reviews, calendar."""
