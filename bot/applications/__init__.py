"""Applications started in the chat (join request, funding enquiry, study enquiry): field
validation, storage with reference numbers, and the hand-over to the LPR by e-mail."""
