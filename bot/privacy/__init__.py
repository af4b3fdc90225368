"""Personal data with a lifecycle (DSGVO Art. 5, 13, 17).

- redaction.py   what a user types into a form is replaced by a placeholder ("[E-Mail]") in
                 every stored or published conversation event and in log lines
- tracker_store.py  Rasa's SQL tracker store that stores redacted events only, keeps the
                 answers of an unfinished form apart (deleted when the form ends) and forgets
                 a conversation when the user asks for it
- retention.py   deletes conversations and closed applications after their retention period
- deletion.py    a deletion request for applications that have already been submitted
- notice.py      the privacy notice the chat gives

It knows no channel: the tracker store (bot/deployment/endpoints.py) and the logging set-up
call it, actions/privacy.py talks to the user.
"""
