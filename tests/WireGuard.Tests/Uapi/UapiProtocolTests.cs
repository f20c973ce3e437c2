using System.Text;
using RouterHost.WireGuard.Uapi;

namespace RouterHost.WireGuard.Tests.Uapi;

/// <summary>
/// The UAPI text as wireguard-go speaks it: the get reply's keys and order, every set key, and the errno each kind of
/// bad request gets (checked against wireguard-go 0.0.20220316 on Debian 12: unknown key, bad hex, bad number, a
/// line without '=', a bad value of a boolean key: EINVAL or EPROTO; a line over 64 KiB: EIO).
/// </summary>
public sealed class UapiProtocolTests
{
    private const string Key = "6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283";

    [Fact]
    public void Get_lists_the_device_then_each_peer_in_wireguard_gos_order()
    {
        var device = new FakeUapiDevice();
        string reply = Run(device, "get=1\n\n");
        Assert.Equal(
            "private_key=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
            + "listen_port=51820\n"
            + $"public_key={Key}\n"
            + "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
            + "protocol_version=1\n"
            + "endpoint=192.0.2.7:51821\n"
            + "last_handshake_time_sec=1700000000\n"
            + "last_handshake_time_nsec=123000000\n"
            + "tx_bytes=1000\n"
            + "rx_bytes=2000\n"
            + "persistent_keepalive_interval=25\n"
            + "allowed_ip=10.2.0.0/16\n"
            + "allowed_ip=fd02::/64\n"
            + "errno=0\n\n",
            reply);
    }

    [Fact]
    public void A_zero_listen_port_and_fwmark_and_key_are_left_out_and_an_IPv6_endpoint_is_bracketed()
    {
        var device = new FakeUapiDevice
        {
            Device = new UapiDeviceSnapshot(new byte[32], 0, 0, [new UapiPeerSnapshot(FakeUapiDevice.PeerKey, new byte[32], new System.Net.IPEndPoint(System.Net.IPAddress.Parse("2001:db8::7"), 5), 0, 0, 0, 0, 0, [])]),
        };
        string reply = Run(device, "get=1\n\n");
        Assert.StartsWith($"public_key={Key}\n", reply, StringComparison.Ordinal);
        Assert.Contains("endpoint=[2001:db8::7]:5\n", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("listen_port", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("fwmark", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_set_key_is_read_in_order()
    {
        string body = "private_key=" + new string('a', 64) + "\nlisten_port=51820\nfwmark=4294967295\nreplace_peers=true\n"
            + $"public_key={Key}\nupdate_only=true\npreshared_key={new string('b', 64)}\nendpoint=[2001:db8::7]:51820\n"
            + "persistent_keepalive_interval=65535\nreplace_allowed_ips=true\nallowed_ip=10.2.0.7/16\nallowed_ip=-fd02::1/64\nprotocol_version=1\n"
            + $"public_key={new string('C', 64)}\nremove=true\n\n";
        UapiResult result = UapiProtocol.ParseSet(body, out UapiSetRequest? request);
        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(51820, request!.ListenPort);
        Assert.Equal(uint.MaxValue, request.Fwmark);
        Assert.True(request.ReplacePeers);
        Assert.Equal(0xaa, request.PrivateKey![0]);
        Assert.Equal(2, request.Peers.Count);
        Assert.Equal(
            [UapiPeerStepKind.UpdateOnly, UapiPeerStepKind.PresharedKey, UapiPeerStepKind.Endpoint, UapiPeerStepKind.PersistentKeepalive, UapiPeerStepKind.ReplaceAllowedIps, UapiPeerStepKind.AllowedIp, UapiPeerStepKind.AllowedIp, UapiPeerStepKind.ProtocolVersion],
            request.Peers[0].Steps.Select(s => s.Kind));
        Assert.Equal(new UapiAllowedIp("10.2.0.0/16", false), request.Peers[0].Steps[5].AllowedIp);
        Assert.Equal(new UapiAllowedIp("fd02::/64", true), request.Peers[0].Steps[6].AllowedIp);
        Assert.Equal(65535, request.Peers[0].Steps[3].Number);
        Assert.Equal(0xcc, request.Peers[1].PublicKey[0]);
        Assert.Equal(UapiPeerStepKind.Remove, Assert.Single(request.Peers[1].Steps).Kind);
    }

    [Theory]
    [InlineData("foo=bar", -22, "line 2: 'foo' is not a device key")]
    [InlineData("foo", -71, "line 2: 'foo' is not key=value")]
    [InlineData("private_key=zz", -22, "line 2: private_key: must be 64 hex digits")]
    [InlineData("private_key=1111", -22, "(got 4 characters, not shown: it may be a secret)")]
    [InlineData("listen_port=70000", -22, "line 2: listen_port: must be a number 0..65535 (got '70000')")]
    [InlineData("listen_port=+5", -22, "listen_port")]
    [InlineData("listen_port=", -22, "listen_port")]
    [InlineData("fwmark=-1", -22, "fwmark")]
    [InlineData("fwmark=4294967296", -22, "fwmark")]
    [InlineData("replace_peers=false", -22, "replace_peers: must be 'true'")]
    [InlineData("public_key=abc", -22, "public_key: must be 64 hex digits")]
    [InlineData("public_key=" + "g" + "0000000000000000000000000000000000000000000000000000000000000000", -22, "public_key")]
    [InlineData("public_key=ZXhhbXBsZSBiYXNlNjQga2V5IG5vdCBoZXggYXQgYWxsIQ==", -22, "public_key")]
    [InlineData("public_key=" + Key + "\nfoo=1", -22, "line 3: 'foo' is not a peer key")]
    [InlineData("public_key=" + Key + "\nlisten_port=1", -22, "'listen_port' is not a peer key")]
    [InlineData("public_key=" + Key + "\nallowed_ip=10.0.0.1", -22, "must be a prefix with its length")]
    [InlineData("public_key=" + Key + "\nallowed_ip=10.0.0.0/33", -22, "prefix length that is not 0..32")]
    [InlineData("public_key=" + Key + "\nallowed_ip=010.0.0.0/8", -22, "allowed_ip")]
    [InlineData("public_key=" + Key + "\nallowed_ip=--10.0.0.0/8", -22, "allowed_ip")]
    [InlineData("public_key=" + Key + "\nendpoint=localhost:1", -22, "not a name")]
    [InlineData("public_key=" + Key + "\nendpoint=1.2.3.4", -22, "endpoint")]
    [InlineData("public_key=" + Key + "\nendpoint=[1.2.3.4]:5", -22, "endpoint")]
    [InlineData("public_key=" + Key + "\nendpoint=[fe80::1%eth0]:5", -22, "endpoint")]
    [InlineData("public_key=" + Key + "\nendpoint=1.2.3.4:65536", -22, "port")]
    [InlineData("public_key=" + Key + "\npersistent_keepalive_interval=65536", -22, "persistent_keepalive_interval")]
    [InlineData("public_key=" + Key + "\nprotocol_version=2", -22, "protocol_version: must be 1")]
    [InlineData("public_key=" + Key + "\nremove=1", -22, "remove: must be 'true'")]
    [InlineData("public_key=" + Key + "\nupdate_only=yes", -22, "update_only")]
    [InlineData("public_key=" + Key + "\nreplace_allowed_ips=True", -22, "replace_allowed_ips")]
    [InlineData("public_key=" + Key + "\npreshared_key=" + Key + "0", -22, "(got 65 characters, not shown")]
    public void A_bad_set_line_gets_wireguard_gos_errno_and_a_message_naming_the_line(string lines, int errno, string message)
    {
        var device = new FakeUapiDevice();
        var errors = new List<UapiResult>();
        string reply = Run(device, $"set=1\n{lines}\n\n", errors);
        Assert.Equal($"errno={errno}\n\n", reply);
        Assert.Empty(device.Applied);
        Assert.Contains(message, Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Endpoint_port_0_and_upper_case_hex_are_accepted_as_wireguard_go_accepts_them()
    {
        var device = new FakeUapiDevice();
        Assert.Equal("errno=0\n\n", Run(device, $"set=1\npublic_key={Key.ToUpperInvariant()}\nendpoint=1.2.3.4:0\n\n"));
        Assert.Equal(0, Assert.Single(device.Applied).Peers[0].Steps[0].Endpoint!.Port);
    }

    [Fact]
    public void Requests_follow_one_another_on_one_connection()
    {
        var device = new FakeUapiDevice();
        string reply = Run(device, "get=1\n\nset=1\nlisten_port=1\n\nget=1\n\n");
        Assert.Equal(2, device.Snapshots);
        Assert.Single(device.Applied);
        Assert.EndsWith("errno=0\n\n", reply, StringComparison.Ordinal);
        Assert.Equal(3, reply.Split("errno=0\n\n").Length - 1);
    }

    [Fact]
    public void An_error_reply_closes_the_connection_and_what_follows_is_not_read()
    {
        var device = new FakeUapiDevice();
        var session = new UapiSession(device);
        session.Receive("set=1\nfoo=1\nbar=2\n\nget=1\n\n"u8);
        Assert.True(session.Closed);
        Assert.Equal("errno=-22\n\n", Encoding.ASCII.GetString(session.TakeOutput()));
        Assert.Equal(0, device.Snapshots);
    }

    [Theory]
    [InlineData("hello\n")]
    [InlineData("set=1\r\n")]
    [InlineData("get=2\n")]
    [InlineData("\n")]
    public void An_unknown_operation_closes_the_connection_unanswered(string request)
    {
        var session = new UapiSession(new FakeUapiDevice());
        session.Receive(Encoding.Latin1.GetBytes(request));
        Assert.True(session.Closed);
        Assert.Empty(session.TakeOutput());
    }

    [Fact]
    public void Get_followed_by_anything_but_a_blank_line_is_EINVAL()
    {
        Assert.Equal("errno=-22\n\n", Run(new FakeUapiDevice(), "get=1\nx\n"));
    }

    [Fact]
    public void A_set_cut_off_by_the_end_of_input_is_applied_as_wireguard_go_applies_it()
    {
        var device = new FakeUapiDevice();
        var session = new UapiSession(device);
        session.Receive("set=1\nlisten_port=7\nfwmark=3"u8);
        Assert.Empty(device.Applied);
        session.EndOfInput();
        Assert.Equal("errno=0\n\n", Encoding.ASCII.GetString(session.TakeOutput()));
        Assert.Equal(3u, Assert.Single(device.Applied).Fwmark);
        Assert.True(session.Closed);
    }

    [Fact]
    public void A_get_cut_off_by_the_end_of_input_is_not_answered()
    {
        var device = new FakeUapiDevice();
        var session = new UapiSession(device);
        session.Receive("get=1\n"u8);
        session.EndOfInput();
        Assert.Empty(session.TakeOutput());
        Assert.Equal(0, device.Snapshots);
    }

    [Fact]
    public void Carriage_returns_before_newlines_in_a_set_body_are_dropped_as_wireguard_gos_scanner_drops_them()
    {
        var device = new FakeUapiDevice();
        Assert.Equal("errno=0\n\n", Run(device, "set=1\nlisten_port=9\r\n\r\n"));
        Assert.Equal(9, Assert.Single(device.Applied).ListenPort);
    }

    [Fact]
    public void Bytes_that_are_not_UTF_8_are_an_invalid_key_or_value_not_a_crash()
    {
        var device = new FakeUapiDevice();
        var session = new UapiSession(device);
        session.Receive([.. "set=1\n"u8, 0xff, 0xfe, (byte)'=', 0xc3, 0x28, (byte)'\n', (byte)'\n']);
        Assert.Equal("errno=-22\n\n", Encoding.ASCII.GetString(session.TakeOutput()));
        session = new UapiSession(device);
        session.Receive([.. "set=1\nlisten_port="u8, 0xc3, 0x28, (byte)'\n', (byte)'\n']);
        Assert.Equal("errno=-22\n\n", Encoding.ASCII.GetString(session.TakeOutput()));
        Assert.Empty(device.Applied);
    }

    [Fact]
    public void A_line_over_64_KiB_is_EIO_as_in_wireguard_go()
    {
        var device = new FakeUapiDevice();
        var session = new UapiSession(device);
        session.Receive("set=1\nfwmark="u8);
        session.Receive(Enumerable.Repeat((byte)'0', 70000).ToArray());
        Assert.Equal("errno=-5\n\n", Encoding.ASCII.GetString(session.TakeOutput()));
        Assert.True(session.Closed);
        Assert.Empty(device.Applied);
    }

    [Fact]
    public void A_set_body_over_the_request_cap_is_EIO_and_the_connection_closes()
    {
        var device = new FakeUapiDevice();
        var session = new UapiSession(device, maxRequestBytes: 4096);
        session.Receive("set=1\n"u8);
        for (int i = 0; i < 1000 && !session.Closed; i++)
        {
            session.Receive("listen_port=1\n"u8);
        }

        Assert.True(session.Closed);
        Assert.Equal("errno=-5\n\n", Encoding.ASCII.GetString(session.TakeOutput()));
        Assert.Empty(device.Applied);
    }

    [Fact]
    public void A_request_trickled_one_byte_at_a_time_is_answered_as_if_sent_at_once()
    {
        var device = new FakeUapiDevice();
        var session = new UapiSession(device);
        foreach (byte b in "get=1\n\nset=1\nlisten_port=5\n\n"u8.ToArray())
        {
            session.Receive([b]);
        }

        Assert.EndsWith("errno=0\n\nerrno=0\n\n", Encoding.ASCII.GetString(session.TakeOutput()), StringComparison.Ordinal);
        Assert.Equal(5, Assert.Single(device.Applied).ListenPort);
    }

    [Fact]
    public void The_devices_own_error_is_the_reply()
    {
        var device = new FakeUapiDevice { Answer = new UapiResult(UapiErrno.PortInUse, "no") };
        Assert.Equal("errno=-98\n\n", Run(device, "set=1\nlisten_port=1\n\n"));
    }

    private static string Run(FakeUapiDevice device, string request, List<UapiResult>? errors = null)
    {
        var session = new UapiSession(device, e => errors?.Add(e));
        session.Receive(Encoding.Latin1.GetBytes(request));
        return Encoding.ASCII.GetString(session.TakeOutput());
    }
}
