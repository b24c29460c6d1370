# frozen_string_literal: true

Rails.application.routes.draw do
  post "/triage", to: "triage#create"
  post "/triage/later", to: "triage#enqueue"
  post "/triage/:case_id/close", to: "triage#close"
end
