# frozen_string_literal: true

require "test_helper"
require "support/cases"
require "support/certificates"
require "support/python_server"

# Bearer tokens, TLS and mutual TLS against the real service, each on its own server.
class SecurityTest < Minitest::Test
  def teardown
    @client&.close
    @server&.stop
  end

  def test_bearer_token
    @server = PythonServer.start do |dir|
      File.write(File.join(dir, "tokens"), "other-token\ns3cret-token\n")
      ["--token-file", File.join(dir, "tokens")]
    end
    @client = Supportability::Client.new(target: @server.target, token: "s3cret-token")
    assert @client.predict_case(support_case: Cases.payout).top_queue

    [nil, "wrong-token"].each do |token|
      client = Supportability::Client.new(target: @server.target, token: token)
      error = assert_raises(Supportability::AuthenticationError) { client.predict_case(support_case: Cases.payout) }
      assert_equal "UNAUTHENTICATED", error.reason
      assert error.caller_fault?
      client.close
    end
  end

  def test_tls_with_the_servers_ca_given_as_a_path
    certificates = nil
    @server = PythonServer.start do |dir|
      certificates = Certificates.write(dir)
      ["--tls-cert", certificates.server_cert, "--tls-key", certificates.server_key]
    end
    @client = Supportability::Client.new(target: @server.target, tls_ca: certificates.ca)
    assert @client.predict_case(support_case: Cases.payout).top_queue

    plaintext = Supportability::Client.new(target: @server.target, retries: false, deadline: 3)
    assert_raises(Supportability::UnavailableError) { plaintext.predict_case(support_case: Cases.payout) }
    plaintext.close
  end

  def test_mutual_tls_with_pem_strings
    certificates = nil
    @server = PythonServer.start do |dir|
      certificates = Certificates.write(dir)
      ["--tls-cert", certificates.server_cert, "--tls-key", certificates.server_key,
       "--tls-client-ca", certificates.ca]
    end
    @client = Supportability::Client.new(target: @server.target, tls_ca: File.read(certificates.ca),
                                         tls_cert: File.read(certificates.client_cert),
                                         tls_key: File.read(certificates.client_key))
    assert @client.predict_case(support_case: Cases.payout).top_queue

    no_client_cert = Supportability::Client.new(target: @server.target, tls_ca: certificates.ca, retries: false,
                                                deadline: 3)
    assert_raises(Supportability::UnavailableError) { no_client_cert.predict_case(support_case: Cases.payout) }
    no_client_cert.close
  end
end
