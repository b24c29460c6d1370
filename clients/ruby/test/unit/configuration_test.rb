# frozen_string_literal: true

require "test_helper"

class ConfigurationTest < Minitest::Test
  def setup
    @saved = Supportability.configuration
  end

  def teardown
    Supportability.instance_variable_set(:@configuration, @saved)
    Supportability.instance_variable_set(:@client, nil)
  end

  def test_configure_sets_the_defaults_that_clients_start_from
    Supportability.configure do |c|
      c.target = "models.internal:443"
      c.token = "t0k"
      c.deadline = 2
    end
    client = Supportability::Client.new(deadline: 0.5)
    config = client.config
    assert_equal ["models.internal:443", "t0k", 0.5], [config.target, config.token, config.deadline]
    assert_equal 2, Supportability.configuration.deadline, "a client's keywords don't change the defaults"
    assert client.config.frozen?
  end

  def test_the_default_client_follows_configure
    first = Supportability.client
    assert_same first, Supportability.client
    Supportability.configure { |c| c.target = "elsewhere:50051" }
    refute_same first, Supportability.client
    assert_equal "elsewhere:50051", Supportability.client.config.target
  end

  def test_configure_rejects_a_missing_deadline_and_keeps_the_old_settings
    assert_raises(Supportability::ConfigurationError) { Supportability.configure { |c| c.deadline = nil } }
    assert_equal 5.0, Supportability.configuration.deadline
  end

  def test_channel_args_carry_the_contract_service_config_and_the_retry_switch
    args = Supportability::Configuration.new(user_agent: "shop/1.2").grpc_channel_args
    config = JSON.parse(args.fetch("grpc.service_config"))
    assert_equal ["UNAVAILABLE"], config["methodConfig"].first.dig("retryPolicy", "retryableStatusCodes")
    assert_equal 1, args["grpc.enable_retries"]
    assert_equal "shop/1.2 supportability-ruby/#{Supportability::VERSION}", args["grpc.primary_user_agent"]
    assert_equal 0, Supportability::Configuration.new(retries: false).grpc_channel_args["grpc.enable_retries"]
  end

  def test_several_connections_get_channels_of_their_own
    refute Supportability::Configuration.new.grpc_channel_args.key?("grpc.use_local_subchannel_pool")
    pooled = Supportability::Configuration.new(connections: 4).grpc_channel_args
    assert_equal 1, pooled["grpc.use_local_subchannel_pool"]
    [0, 2.5, "4"].each do |bad|
      assert_raises(Supportability::ConfigurationError) { Supportability::Configuration.new.with(connections: bad) }
    end
  end

  def test_tls_settings
    refute Supportability::Configuration.new.tls?
    assert Supportability::Configuration.new(tls: true).tls?
    assert Supportability::Configuration.new(tls_ca: "ca.pem").tls?
    assert_equal :this_channel_is_insecure, Supportability::Configuration.new.grpc_credentials
  end
end
