# frozen_string_literal: true

# Boots the app against the real Python service, started here on a free port and passed to the
# app's initializer through SUPPORTABILITY_TARGET, as a deployment would.
ENV["RAILS_ENV"] ||= "test"
require "minitest"
require_relative "../../../test/support/python_server"

SERVER = PythonServer.start
Minitest.after_run { SERVER.stop }
ENV["SUPPORTABILITY_TARGET"] = SERVER.target
# Job decisions (Rails.cache) go to a directory of this run, shared with the Puma and Sidekiq
# processes the tests start.
require "tmpdir"
ENV["TRIAGE_CACHE_DIR"] = Dir.mktmpdir("triage-cache-")
Minitest.after_run { FileUtils.remove_entry(ENV.fetch("TRIAGE_CACHE_DIR"), true) }

require_relative "../config/environment"
require "rails/test_help"

# The JSON case the triage endpoint and job take.
module SupportCases
  def payout_case(case_id)
    {
      case_id: case_id, subject: "Payout has not arrived", channel: "CHANNEL_EMAIL", language: "en",
      body: "Our weekly payout to the bank account ending 4411 was due on Monday and has not arrived.",
      create_time: "2026-11-02T09:15:00Z",
      account: { merchant_id: "acct_1001", country_code: "US", support_plan: "SUPPORT_PLAN_STANDARD",
                 failed_payouts_30d: 2 }
    }
  end
end
