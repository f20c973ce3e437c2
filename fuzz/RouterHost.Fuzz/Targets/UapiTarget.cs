using System.Net;
using System.Text;
using RouterHost.WireGuard.Uapi;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// The WireGuard UAPI text (what <c>wg</c> and other tools send to <c>/var/run/wireguard/NAME.sock</c>) through a
/// connection's session (<see cref="UapiSession"/>: operations, <c>get</c>, <c>set</c> bodies, line and request caps)
/// and the parsers alone. The first byte picks how the rest arrives: its low 4 bits are the piece size (0: all at once),
/// bit 4 ends the input after it (as a client closing its side), bit 5 sends it through the <c>get</c> reply parser too.
/// Invariants: every reply is a get listing or <c>errno=N</c> with N one of wireguard-go's (0, -5, -22, -71) and a
/// blank line; every request the device is handed formats to a body that parses back to the same body.
/// </summary>
internal sealed class UapiTarget : IFuzzTarget
{
    public const string TargetName = "uapi";

    private readonly CheckingDevice _device = new();

    public string Name => TargetName;

    public string Description => "WireGuard UAPI requests (get=1, set=1 with every key) through a connection session and the set/get parsers";

    public void Run(ReadOnlySpan<byte> input)
    {
        FuzzInput.Split(input, out byte control, out ReadOnlySpan<byte> rest);
        var session = new UapiSession(_device, maxRequestBytes: 16 << 10);
        int piece = control & 0x0f;
        if (piece == 0)
        {
            session.Receive(rest);
        }
        else
        {
            for (int offset = 0; offset < rest.Length && !session.Closed; offset += piece)
            {
                session.Receive(rest.Slice(offset, Math.Min(piece, rest.Length - offset)));
            }
        }

        if ((control & 0x10) != 0)
        {
            session.EndOfInput();
        }

        string output = Encoding.ASCII.GetString(session.TakeOutput());
        int start = 0;
        while (start < output.Length)
        {
            int end = output.IndexOf("\n\n", start, StringComparison.Ordinal);
            InvariantViolationException.Check(end >= 0, "every reply ends with a blank line");
            string reply = output[start..end];
            int last = reply.LastIndexOf('\n') + 1;
            string errno = reply[last..];
            InvariantViolationException.Check(errno is "errno=0" or "errno=-5" or "errno=-22" or "errno=-71", "every reply ends with one of wireguard-go's errno values");
            InvariantViolationException.Check(last == 0 || (UapiProtocol.TryParseGet(reply + "\n\n", out _, out int code, out _) && code == 0), "a get listing parses");
            start = end + 2;
        }

        if ((control & 0x20) != 0)
        {
            string text = Encoding.Latin1.GetString(rest);
            _ = UapiProtocol.TryParseGet(text, out _, out _, out _);
            _ = UapiProtocol.ParseSet(text, out _);
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        const string Key = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a";
        yield return new("get", Seed(0, "get=1\n\n"));
        yield return new("get-trickled", Seed(1, "get=1\n\nget=1\n\n"));
        yield return new("set-device", Seed(0x10, $"set=1\nprivate_key={Key}\nlisten_port=51820\nfwmark=0\nreplace_peers=true\n\n"));
        yield return new("set-peer", Seed(3, $"set=1\npublic_key={Key}\npreshared_key={Key}\nendpoint=192.0.2.7:51820\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\nallowed_ip=10.2.0.0/16\nallowed_ip=fd02::/64\nprotocol_version=1\n\n"));
        yield return new("set-update-remove", Seed(0, $"set=1\npublic_key={Key}\nupdate_only=true\nendpoint=[2001:db8::7]:51820\nallowed_ip=-10.2.0.0/16\npublic_key={Key}\nremove=true\n\n"));
        yield return new("set-bad", Seed(0x20, "set=1\nlisten_port=70000\n\n"));
        yield return new("set-truncated", Seed(0x30, "set=1\nfwmark=1"));
        yield return new("get-reply", Seed(0x20, $"private_key={Key}\nlisten_port=51820\npublic_key={Key}\npreshared_key={Key}\nprotocol_version=1\nendpoint=192.0.2.7:51820\nlast_handshake_time_sec=1\nlast_handshake_time_nsec=2\ntx_bytes=3\nrx_bytes=4\npersistent_keepalive_interval=0\nallowed_ip=10.2.0.0/16\nerrno=0\n\n"));
    }

    private static byte[] Seed(byte control, string text) => [control, .. Encoding.ASCII.GetBytes(text)];

    /// <summary>A device whose get shows one peer and whose set checks each request round-trips through the text.</summary>
    private sealed class CheckingDevice : IUapiDevice
    {
        private readonly UapiDeviceSnapshot _snapshot = new(
            new byte[32], 51820, 7,
            [new UapiPeerSnapshot(new byte[32], new byte[32], new IPEndPoint(IPAddress.IPv6Loopback, 1), 1, 2, 3, 4, 5, ["10.0.0.0/8", "::/0"])]);

        public UapiDeviceSnapshot Snapshot() => _snapshot;

        public UapiResult Apply(UapiSetRequest request)
        {
            string body = UapiProtocol.FormatSet(request);
            UapiResult again = UapiProtocol.ParseSet(body, out UapiSetRequest? parsed);
            InvariantViolationException.Check(again.Succeeded && parsed is not null && UapiProtocol.FormatSet(parsed) == body, "a parsed set request formats to a body that parses back to it");
            return UapiResult.Success;
        }
    }
}
