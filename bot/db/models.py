"""Tables. A commune row is official data (Destatis); a membership row is a sourced fact
about ASSKomm participation. A commune without a membership row has status "unbekannt"."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class Commune(Base):
    __tablename__ = "communes"

    ags = Column(String(8), primary_key=True)  # Amtlicher Gemeindeschlüssel
    name = Column(String(200), nullable=False)  # official, with suffixes ("Werdau, Stadt")
    name_short = Column(String(120), nullable=False, index=True)  # "Werdau"
    kind = Column(String(40), nullable=False)  # Stadt | Gemeinde | Kreisfreie Stadt
    landkreis = Column(String(120))  # empty for the kreisfreie Städte
    verband_typ = Column(String(40))  # Verwaltungsgemeinschaft | Verwaltungsverband
    verband_name = Column(String(200))
    population = Column(Integer)
    population_date = Column(Date)
    plz = Column(String(5))
    data_stand = Column(Date)  # Gebietsstand of the commune list

    membership = relationship("Membership", uselist=False, back_populates="commune")


class Membership(Base):
    __tablename__ = "memberships"

    id = Column(Integer, primary_key=True)
    ags = Column(String(8), ForeignKey("communes.ags", ondelete="CASCADE"), unique=True, nullable=False)
    # modellkommune | kooperationsvereinbarung | vorvereinbarung | beteiligt | unbekannt
    status = Column(String(40), nullable=False)
    agreement_date = Column(String(10))  # as precise as the source: YYYY-MM-DD, YYYY-MM or YYYY
    via = Column(String(200))  # group holding the membership (Städtebund, Verwaltungsverband)
    prevention_council = Column(String(10), nullable=False, default="unbekannt")  # ja | nein | unbekannt
    note = Column(Text)
    source_title = Column(String(400), nullable=False)
    source_url = Column(String(600))
    source_stand = Column(String(10), nullable=False)  # YYYY-MM-DD | YYYY-MM | YYYY | undatiert
    # "knowledge" rows mirror knowledge/communes/memberships.yml; "admin" rows were set by
    # LPR staff and win over the file until cleared.
    origin = Column(String(20), nullable=False, default="knowledge")
    changed_by = Column(String(120))
    changed_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())

    commune = relationship("Commune", back_populates="membership")


class StaffUser(Base):
    """A person who logs in to the staff console (bot/console). Created with
    `python -m bot.admin benutzer-anlegen`; the role decides which pages they may open."""
    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    name = Column(String(80), unique=True, nullable=False)
    role = Column(String(20), nullable=False)  # admin | sachbearbeitung | redaktion | auswertung
    password_hash = Column(String(200), nullable=False)  # argon2id, PHC string
    active = Column(Boolean, nullable=False, default=True)
    # Wrong passwords in a row; reaching the limit locks the account until locked_until.
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    last_login_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class AuditEntry(Base):
    """Who changed what and when, with the values before and after; admins read it in the console."""
    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, server_default=func.now(), index=True)
    actor = Column(String(80), nullable=False)  # a staff user's name, or "cli:<system user>"
    action = Column(String(60), nullable=False)  # e.g. anfrage.status, benutzer.angelegt
    target = Column(String(200), nullable=False, index=True)  # e.g. anfrage:ASK-2026-000042
    before = Column(JSON)
    after = Column(JSON)
    note = Column(Text)
