package dev.supportability.client;

import dev.supportability.v1.AccountContext;
import dev.supportability.v1.Channel;
import dev.supportability.v1.IntegrationType;
import dev.supportability.v1.SupportCase;
import dev.supportability.v1.SupportPlan;

/** Realistic cases for the tests against the real server. */
public final class TestCases {
  private TestCases() {}

  /** A valid case: a merchant whose payout is late. */
  public static SupportCase payoutDelayed(String caseId) {
    return SupportCase.newBuilder()
        .setCaseId(caseId)
        .setSubject("Payout has not arrived")
        .setBody(
            "Our weekly payout to the bank account ending 4411 was due on Monday and still "
                + "has not arrived. We need these funds to pay suppliers.")
        .setChannel(Channel.CHANNEL_EMAIL)
        .setLanguage("en")
        .setAccount(
            AccountContext.newBuilder()
                .setMerchantId("acct_1001")
                .setCountryCode("US")
                .setAccountAgeDays(420)
                .setIndustry("retail")
                .setSupportPlan(SupportPlan.SUPPORT_PLAN_STANDARD)
                .setMonthlyVolumeUsd(85_000)
                .setIntegrationType(IntegrationType.INTEGRATION_TYPE_PLUGIN)
                .setFailedPayouts30D(2))
        .build();
  }

  /** An invalid case: a channel the contract does not define, and a negative dispute count. */
  static SupportCase invalid(String caseId) {
    SupportCase valid = payoutDelayed(caseId);
    return valid.toBuilder()
        .setChannelValue(9)
        .setAccount(valid.getAccount().toBuilder().setDisputes30D(-1))
        .build();
  }
}
