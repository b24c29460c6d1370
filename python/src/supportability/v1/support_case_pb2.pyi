import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_EMAIL: _ClassVar[Channel]
    CHANNEL_CHAT: _ClassVar[Channel]
    CHANNEL_PHONE: _ClassVar[Channel]
    CHANNEL_WEB_FORM: _ClassVar[Channel]
    CHANNEL_API: _ClassVar[Channel]

class SupportPlan(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUPPORT_PLAN_UNSPECIFIED: _ClassVar[SupportPlan]
    SUPPORT_PLAN_STANDARD: _ClassVar[SupportPlan]
    SUPPORT_PLAN_PREMIUM: _ClassVar[SupportPlan]
    SUPPORT_PLAN_ENTERPRISE: _ClassVar[SupportPlan]

class IntegrationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTEGRATION_TYPE_UNSPECIFIED: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_HOSTED: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_DIRECT_API: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_PLUGIN: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_PLATFORM: _ClassVar[IntegrationType]
    INTEGRATION_TYPE_TERMINAL: _ClassVar[IntegrationType]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_EMAIL: Channel
CHANNEL_CHAT: Channel
CHANNEL_PHONE: Channel
CHANNEL_WEB_FORM: Channel
CHANNEL_API: Channel
SUPPORT_PLAN_UNSPECIFIED: SupportPlan
SUPPORT_PLAN_STANDARD: SupportPlan
SUPPORT_PLAN_PREMIUM: SupportPlan
SUPPORT_PLAN_ENTERPRISE: SupportPlan
INTEGRATION_TYPE_UNSPECIFIED: IntegrationType
INTEGRATION_TYPE_HOSTED: IntegrationType
INTEGRATION_TYPE_DIRECT_API: IntegrationType
INTEGRATION_TYPE_PLUGIN: IntegrationType
INTEGRATION_TYPE_PLATFORM: IntegrationType
INTEGRATION_TYPE_TERMINAL: IntegrationType

class AccountContext(_message.Message):
    __slots__ = ("merchant_id", "country_code", "account_age_days", "industry", "support_plan", "monthly_volume_usd", "integration_type", "disputes_30d", "failed_payouts_30d", "declined_charges_30d", "previous_cases_30d")
    MERCHANT_ID_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_AGE_DAYS_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_PLAN_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_VOLUME_USD_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    DISPUTES_30D_FIELD_NUMBER: _ClassVar[int]
    FAILED_PAYOUTS_30D_FIELD_NUMBER: _ClassVar[int]
    DECLINED_CHARGES_30D_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_CASES_30D_FIELD_NUMBER: _ClassVar[int]
    merchant_id: str
    country_code: str
    account_age_days: int
    industry: str
    support_plan: SupportPlan
    monthly_volume_usd: float
    integration_type: IntegrationType
    disputes_30d: int
    failed_payouts_30d: int
    declined_charges_30d: int
    previous_cases_30d: int
    def __init__(self, merchant_id: _Optional[str] = ..., country_code: _Optional[str] = ..., account_age_days: _Optional[int] = ..., industry: _Optional[str] = ..., support_plan: _Optional[_Union[SupportPlan, str]] = ..., monthly_volume_usd: _Optional[float] = ..., integration_type: _Optional[_Union[IntegrationType, str]] = ..., disputes_30d: _Optional[int] = ..., failed_payouts_30d: _Optional[int] = ..., declined_charges_30d: _Optional[int] = ..., previous_cases_30d: _Optional[int] = ...) -> None: ...

class SupportCase(_message.Message):
    __slots__ = ("case_id", "subject", "body", "channel", "language", "create_time", "account", "extra_features")
    class ExtraFeaturesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _struct_pb2.Value
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FEATURES_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    subject: str
    body: str
    channel: Channel
    language: str
    create_time: _timestamp_pb2.Timestamp
    account: AccountContext
    extra_features: _containers.MessageMap[str, _struct_pb2.Value]
    def __init__(self, case_id: _Optional[str] = ..., subject: _Optional[str] = ..., body: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., language: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., account: _Optional[_Union[AccountContext, _Mapping]] = ..., extra_features: _Optional[_Mapping[str, _struct_pb2.Value]] = ...) -> None: ...
