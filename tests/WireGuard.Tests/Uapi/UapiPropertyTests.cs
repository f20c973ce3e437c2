using System.Net;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.WireGuard.Uapi;

namespace RouterHost.WireGuard.Tests.Uapi;

/// <summary>Round trips of the UAPI text, and arbitrary bytes in arbitrary pieces against the parser.</summary>
public sealed class UapiPropertyTests
{
    private static readonly Gen<byte[]> Keys = Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 32);

    private static readonly Gen<IPEndPoint> Endpoints =
        from v6 in ArbMap.Default.GeneratorFor<bool>()
        from bytes in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16)
        from port in Gen.Choose(0, 65535)
        select new IPEndPoint(new IPAddress(v6 ? bytes : bytes[..4]), port);

    private static readonly Gen<string> Prefixes =
        from v6 in ArbMap.Default.GeneratorFor<bool>()
        from bytes in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16)
        from length in Gen.Choose(0, 128)
        select Canonical(v6 ? bytes : bytes[..4], v6 ? length : length % 33);

    private static readonly Gen<UapiPeerSnapshot> PeerSnapshots =
        from key in Keys
        from psk in Keys
        from endpoint in Gen.OneOf(Gen.Constant<IPEndPoint?>(null), Endpoints.Select(e => (IPEndPoint?)e))
        from seconds in Gen.Choose(0, int.MaxValue)
        from nanoseconds in Gen.Choose(0, 999_999_999)
        from tx in ArbMap.Default.GeneratorFor<uint>()
        from rx in ArbMap.Default.GeneratorFor<uint>()
        from keepalive in Gen.Choose(0, 65535)
        from prefixes in Gen.ListOf(Prefixes)
        select new UapiPeerSnapshot(key, psk, endpoint, seconds, nanoseconds, tx * 3L, rx * 5L, keepalive, [.. prefixes.Distinct()]);

    private static readonly Gen<UapiDeviceSnapshot> Devices =
        from key in Keys
        from port in Gen.Choose(0, 65535)
        from mark in ArbMap.Default.GeneratorFor<uint>()
        from peers in Gen.ListOf(PeerSnapshots)
        select new UapiDeviceSnapshot(key, port, mark, [.. peers]);

    private static readonly Gen<UapiPeerStep> Steps = Gen.OneOf(
        Gen.Elements(UapiPeerStepKind.UpdateOnly, UapiPeerStepKind.Remove, UapiPeerStepKind.ReplaceAllowedIps, UapiPeerStepKind.ProtocolVersion).Select(k => new UapiPeerStep(k)),
        Keys.Select(k => new UapiPeerStep(UapiPeerStepKind.PresharedKey, Key: k)),
        Endpoints.Select(e => new UapiPeerStep(UapiPeerStepKind.Endpoint, Endpoint: e)),
        Gen.Choose(0, 65535).Select(n => new UapiPeerStep(UapiPeerStepKind.PersistentKeepalive, Number: n)),
        from prefix in Prefixes
        from remove in ArbMap.Default.GeneratorFor<bool>()
        select new UapiPeerStep(UapiPeerStepKind.AllowedIp, new UapiAllowedIp(prefix, remove)));

    private static readonly Gen<UapiSetRequest> Requests =
        from privateKey in Gen.OneOf(Gen.Constant<byte[]?>(null), Keys.Select(k => (byte[]?)k))
        from port in Gen.OneOf(Gen.Constant<int?>(null), Gen.Choose(0, 65535).Select(p => (int?)p))
        from mark in Gen.OneOf(Gen.Constant<uint?>(null), ArbMap.Default.GeneratorFor<uint>().Select(m => (uint?)m))
        from replace in ArbMap.Default.GeneratorFor<bool>()
        from peers in Gen.ListOf(from key in Keys from steps in Gen.ListOf(Steps) select (key, steps))
        select Build(privateKey, port, mark, replace, peers);

    [Fact]
    public void A_formatted_get_reply_parses_back_to_the_same_device()
    {
        Prop.ForAll(Devices.ToArbitrary(), device =>
        {
            string reply = UapiProtocol.FormatGet(device) + "errno=0\n\n";
            Assert.True(UapiProtocol.TryParseGet(reply, out UapiDeviceSnapshot? parsed, out int errno, out string? problem), problem);
            Assert.Equal(0, errno);
            Assert.Equal(reply, UapiProtocol.FormatGet(parsed!) + "errno=0\n\n");
            Assert.Equal(device.Peers.Count, parsed!.Peers.Count);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_peers_of_a_get_reply_sent_back_as_a_set_body_parse_and_keep_every_key_endpoint_and_prefix()
    {
        // What wg syncconf does with wg showconf's output: the settable keys of each peer go back as a set.
        Prop.ForAll(Devices.ToArbitrary(), device =>
        {
            var body = new StringBuilder();
            foreach (string line in UapiProtocol.FormatGet(device).Split('\n'))
            {
                string key = line.Split('=')[0];
                if (key is "private_key" or "listen_port" or "fwmark" or "public_key" or "preshared_key" or "endpoint" or "persistent_keepalive_interval" or "allowed_ip" or "protocol_version")
                {
                    body.Append(line).Append('\n');
                }
            }

            UapiResult result = UapiProtocol.ParseSet(body.Append('\n').ToString(), out UapiSetRequest? request);
            Assert.True(result.Succeeded, result.Message);
            Assert.Equal(device.Peers.Count, request!.Peers.Count);
            for (int i = 0; i < device.Peers.Count; i++)
            {
                Assert.Equal(device.Peers[i].PublicKey, request.Peers[i].PublicKey);
                Assert.Equal(device.Peers[i].AllowedIps, request.Peers[i].Steps.Where(s => s.Kind == UapiPeerStepKind.AllowedIp).Select(s => s.AllowedIp.Prefix));
                Assert.Equal(device.Peers[i].Endpoint, request.Peers[i].Steps.SingleOrDefault(s => s.Kind == UapiPeerStepKind.Endpoint).Endpoint);
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_formatted_set_body_parses_back_to_the_same_request()
    {
        Prop.ForAll(Requests.ToArbitrary(), request =>
        {
            string body = UapiProtocol.FormatSet(request);
            UapiResult result = UapiProtocol.ParseSet(body, out UapiSetRequest? parsed);
            Assert.True(result.Succeeded, result.Message);
            Assert.Equal(body, UapiProtocol.FormatSet(parsed!));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Arbitrary_bytes_in_arbitrary_pieces_never_throw_and_any_reply_is_a_well_formed_errno_or_get()
    {
        Gen<byte> bytes = Gen.OneOf(ArbMap.Default.GeneratorFor<byte>(), Gen.Elements("=\n\r-/:[]0123456789abcdef"u8.ToArray()));
        Gen<byte[]> prefix = Gen.Elements("set=1\n"u8.ToArray(), "get=1\n"u8.ToArray(), "set=1\npublic_key=6465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80818283\n"u8.ToArray(), []);
        Prop.ForAll(
            (from p in prefix from body in Gen.ArrayOf(bytes) from cuts in Gen.ListOf(Gen.Choose(1, 64)) from end in ArbMap.Default.GeneratorFor<bool>() select (p, body, cuts, end)).ToArbitrary(),
            input =>
            {
                byte[] data = [.. input.p, .. input.body];
                var session = new UapiSession(new FakeUapiDevice(), maxRequestBytes: 512);
                int offset = 0;
                foreach (int cut in input.cuts.Append(data.Length))
                {
                    int take = Math.Min(cut, data.Length - offset);
                    session.Receive(data.AsSpan(offset, take));
                    offset += take;
                }

                if (input.end)
                {
                    session.EndOfInput();
                }

                string output = Encoding.ASCII.GetString(session.TakeOutput());
                foreach (string reply in output.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
                {
                    Assert.Matches(@"(^|\n)errno=(0|-5|-22|-71)$", reply);
                }

                // The parser alone, on the same bytes as text.
                _ = UapiProtocol.ParseSet(Encoding.Latin1.GetString(data), out _);
                _ = UapiProtocol.TryParseGet(Encoding.Latin1.GetString(data), out _, out _, out _);
            }).QuickCheckThrowOnFailure();
    }

    private static UapiSetRequest Build(byte[]? privateKey, int? port, uint? mark, bool replace, IEnumerable<(byte[] Key, List<UapiPeerStep> Steps)> peers)
    {
        var request = new UapiSetRequest { PrivateKey = privateKey, ListenPort = port, Fwmark = mark, ReplacePeers = replace };
        foreach ((byte[] key, List<UapiPeerStep> steps) in peers)
        {
            var peer = new UapiPeerOperation { PublicKey = key };
            peer.Steps.AddRange(steps);
            request.Peers.Add(peer);
        }

        return request;
    }

    private static string Canonical(byte[] bytes, int length)
    {
        Assert.True(UapiProtocol.TryPrefix($"{(bytes.Length == 4 ? new IPAddress(bytes).ToString() : new IPAddress(bytes).ToString())}/{length}", out string? canonical, out string? problem), problem);
        return canonical!;
    }
}
