"""Names shared by the domain, the actions and the channels: slots, intents, responses."""

from __future__ import annotations

# Slots
SLOT_LANGUAGE = "language"
SLOT_PROVINCE = "province"
SLOT_MUNICIPALITY = "municipality"
SLOT_POSTAL_FSA = "postal_fsa"
SLOT_TOWN = "town"
SLOT_KIND = "service_kind"
SLOT_EVENT = "life_event"
SLOT_AWAITING = "awaiting"
SLOT_SERVICES = "current_services"
SLOT_FALLBACKS = "fallback_count"
SLOT_OFFERED = "offered_payloads"

# Entities (set by choice buttons)
ENTITY_KIND = "service_kind"
ENTITY_EVENT = "life_event"

# Intents
INTENT_NEED = "need"
INTENT_LIFE_EVENT = "life_event"
INTENT_LOCATION = "inform_location"
INTENT_ASK_HOW = "ask_how"
INTENT_ASK_WHERE = "ask_where"
INTENT_ASK_DOCUMENTS = "ask_documents"
INTENT_ASK_TIME = "ask_time"
INTENT_ASK_WHY = "ask_why"
INTENT_HUMAN = "human"
INTENT_EMERGENCY = "emergency"
INTENT_CRISIS = "crisis"
INTENT_OUT_OF_SCOPE = "out_of_scope"
INTENT_SWITCH_LANGUAGE = "switch_language"
INTENT_NLU_FALLBACK = "nlu_fallback"

# Domain responses the actions send themselves (they carry their own payload)
UTTER_EMERGENCY = "utter_emergency"
UTTER_CRISIS = "utter_crisis"
UTTER_OUT_OF_SCOPE = "utter_out_of_scope"

# Messages of knowledge/messages.yml (sent by the actions)
MSG_REFERRAL = "referral"
MSG_REFERRAL_DOCUMENTS = "referral_documents"
MSG_REFERRAL_TIME = "referral_processing_time"
MSG_LIFE_EVENT = "life_event"
MSG_ASK_LOCATION = "ask_location"
MSG_ASK_CITY = "ask_city"
MSG_CHOICES = "choices"
MSG_NO_SERVICE = "no_service"
MSG_LOCATION_NOTED = "location_noted"
MSG_LOCATION_NOTED_CHOICES = "location_noted_choices"
MSG_REPHRASE = "rephrase"
MSG_FALLBACK_PHONE = "fallback_phone"
MSG_UNAVAILABLE = "unavailable"
MSG_HANDOFF = "handoff"
MSG_DOCUMENTS = "documents"
MSG_DOCUMENTS_UNKNOWN = "documents_unknown"
MSG_TIME = "processing_time"
MSG_TIME_UNKNOWN = "processing_time_unknown"
MSG_WHY = "why"
MSG_IN_PERSON = "in_person"
MSG_NO_IN_PERSON = "no_in_person"
MSG_HOW = "how"
MSG_WHICH_SERVICE = "ask_which_service"
MSG_OFFICES = "offices"
MSG_OFFICES_ASK = "offices_ask_place"
MSG_OFFICES_LOCATOR = "offices_locator"
MSG_NOT_OFFERED = "not_offered"
MSG_TOWN_SERVICE = "town_service"

# Values
AWAITING_LOCATION = "location"
AWAITING_OFFICE = "office"
ASK_SLOT_LOCATION = "location"
CHOICE_INTENT_KIND = INTENT_NEED
CHOICE_INTENT_EVENT = INTENT_LIFE_EVENT
FALLBACK_STAGES = 2
