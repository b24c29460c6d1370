# frozen_string_literal: true

# Support cases the tests send, as Hashes (the way a Rails app holds them).
module Cases
  module_function

  def payout(**overrides)
    {
      case_id: "case-payout",
      subject: "Payout has not arrived",
      body: "Our weekly payout to the bank account ending 4411 was due on Monday and has not arrived.",
      channel: :CHANNEL_EMAIL,
      language: "en",
      create_time: Time.utc(2026, 11, 2, 9, 15),
      account: { merchant_id: "acct_1001", country_code: "US", account_age_days: 420,
                 support_plan: :SUPPORT_PLAN_STANDARD, failed_payouts_30d: 2 }
    }.merge(overrides)
  end
end
