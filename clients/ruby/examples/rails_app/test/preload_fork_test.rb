# frozen_string_literal: true

require "test_helper"
require "open3"

# What Puma/Unicorn preload does: boot the app (Railtie, initializer) in a master, fork workers,
# call from the workers. Runs in a fresh process, since this one has used gRPC already.
class PreloadForkTest < ActiveSupport::TestCase
  SCRIPT = <<~'RUBY'
    opened = Supportability::ForkSafety.grpc_pid
    abort "booting the app opened a gRPC channel in pid #{opened}" if opened

    reader, writer = IO.pipe
    workers = Array.new(2) do |i|
      fork do
        reader.close
        response = Supportability.client.predict_case(support_case: { case_id: "worker-#{i}", subject: "Payout late",
                                                                      channel: "CHANNEL_EMAIL" })
        writer.puts("#{i} #{response.top_queue}")
      end
    end
    writer.close
    deadline = Time.now + 20
    workers.each do |pid|
      sleep 0.05 until Process.wait(pid, Process::WNOHANG) || Time.now > deadline
      abort "worker #{pid} hung" if Time.now > deadline
      abort "worker #{pid} failed" unless $?.success?
    end
    puts reader.read
  RUBY

  test "workers forked after boot can call; booting opens nothing" do
    out, err, status = Open3.capture3({ "SUPPORTABILITY_TARGET" => SERVER.target }, "bin/rails", "runner", SCRIPT,
                                      chdir: Rails.root.to_s)
    assert status.success?, err
    assert_equal %w[0 1], out.lines.map { |line| line.split.first }.sort
    assert(out.lines.all? { |line| line.split[1].present? }, out)
  end
end
