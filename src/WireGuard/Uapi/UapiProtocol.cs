using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RouterHost.WireGuard.Uapi;

/// <summary>
/// The WireGuard cross-platform configuration protocol's text (wireguard.com/xplatform; wireguard-go's
/// <c>device/uapi.go</c> is the reference): the <c>get=1</c> reply formatted from a snapshot, a <c>set=1</c> body
/// parsed into a <see cref="UapiSetRequest"/>, and the reverse of each (for clients and tests). Parsers never throw on
/// bad input: they return the errno wireguard-go gives and a message naming the line and the problem.
/// </summary>
internal static class UapiProtocol
{
    /// <summary>Keys and preshared keys are 32 bytes, sent as 64 hex digits.</summary>
    public const int KeySize = 32;

    /// <summary>The <c>get=1</c> reply's lines (without the closing <c>errno=0</c> and blank line), in wireguard-go's order.</summary>
    public static string FormatGet(UapiDeviceSnapshot device)
    {
        var text = new StringBuilder(256 + (device.Peers.Count * 384));
        if (device.PrivateKey.AsSpan().ContainsAnyExcept((byte)0))
        {
            Key(text, "private_key", device.PrivateKey);
        }

        if (device.ListenPort != 0)
        {
            Line(text, "listen_port", device.ListenPort.ToString(CultureInfo.InvariantCulture));
        }

        if (device.Fwmark != 0)
        {
            Line(text, "fwmark", device.Fwmark.ToString(CultureInfo.InvariantCulture));
        }

        foreach (UapiPeerSnapshot peer in device.Peers)
        {
            Key(text, "public_key", peer.PublicKey);
            Key(text, "preshared_key", peer.PresharedKey);
            Line(text, "protocol_version", "1");
            if (peer.Endpoint is not null)
            {
                Line(text, "endpoint", FormatEndpoint(peer.Endpoint));
            }

            Line(text, "last_handshake_time_sec", peer.LastHandshakeUnixSeconds.ToString(CultureInfo.InvariantCulture));
            Line(text, "last_handshake_time_nsec", peer.LastHandshakeNanoseconds.ToString(CultureInfo.InvariantCulture));
            Line(text, "tx_bytes", peer.TxBytes.ToString(CultureInfo.InvariantCulture));
            Line(text, "rx_bytes", peer.RxBytes.ToString(CultureInfo.InvariantCulture));
            Line(text, "persistent_keepalive_interval", peer.PersistentKeepalive.ToString(CultureInfo.InvariantCulture));
            foreach (string prefix in peer.AllowedIps)
            {
                Line(text, "allowed_ip", prefix);
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// A <c>set=1</c> body (the lines after <c>set=1</c>, up to the blank line or the end) as a request, or the errno
    /// and message of its first bad line. Lines end in '\n' (a '\r' before it is dropped, as wireguard-go does).
    /// </summary>
    public static UapiResult ParseSet(string body, out UapiSetRequest? request)
    {
        var parser = new UapiSetParser();
        int number = 0;
        foreach (string raw in body.Split('\n'))
        {
            string line = raw.EndsWith('\r') ? raw[..^1] : raw;
            number++;
            if (line.Length == 0)
            {
                break;
            }

            if (!parser.Line(line, number))
            {
                request = null;
                return parser.Error;
            }
        }

        request = parser.Request;
        return UapiResult.Success;
    }

    /// <summary>The body a client sends after <c>set=1</c> for <paramref name="request"/>, with the closing blank line.</summary>
    public static string FormatSet(UapiSetRequest request)
    {
        var text = new StringBuilder();
        if (request.PrivateKey is not null)
        {
            Key(text, "private_key", request.PrivateKey);
        }

        if (request.ListenPort is int port)
        {
            Line(text, "listen_port", port.ToString(CultureInfo.InvariantCulture));
        }

        if (request.Fwmark is uint mark)
        {
            Line(text, "fwmark", mark.ToString(CultureInfo.InvariantCulture));
        }

        if (request.ReplacePeers)
        {
            Line(text, "replace_peers", "true");
        }

        foreach (UapiPeerOperation peer in request.Peers)
        {
            Key(text, "public_key", peer.PublicKey);
            foreach (UapiPeerStep step in peer.Steps)
            {
                switch (step.Kind)
                {
                    case UapiPeerStepKind.UpdateOnly: Line(text, "update_only", "true"); break;
                    case UapiPeerStepKind.Remove: Line(text, "remove", "true"); break;
                    case UapiPeerStepKind.PresharedKey: Key(text, "preshared_key", step.Key!); break;
                    case UapiPeerStepKind.Endpoint: Line(text, "endpoint", FormatEndpoint(step.Endpoint!)); break;
                    case UapiPeerStepKind.PersistentKeepalive: Line(text, "persistent_keepalive_interval", step.Number.ToString(CultureInfo.InvariantCulture)); break;
                    case UapiPeerStepKind.ReplaceAllowedIps: Line(text, "replace_allowed_ips", "true"); break;
                    case UapiPeerStepKind.AllowedIp: Line(text, "allowed_ip", (step.AllowedIp.Remove ? "-" : string.Empty) + step.AllowedIp.Prefix); break;
                    case UapiPeerStepKind.ProtocolVersion: Line(text, "protocol_version", "1"); break;
                }
            }
        }

        return text.Append('\n').ToString();
    }

    /// <summary>
    /// A <c>get=1</c> reply (its lines up to the blank line) as a snapshot, and the errno it ends with; false with a
    /// message when a line is not what wireguard-go sends. For clients and tests: the router only formats replies.
    /// </summary>
    public static bool TryParseGet(string reply, out UapiDeviceSnapshot? device, out int errno, out string? problem)
    {
        device = null;
        errno = 0;
        byte[] privateKey = new byte[KeySize];
        int listenPort = 0;
        uint fwmark = 0;
        var peers = new List<UapiPeerSnapshot>();
        PeerBuilder? peer = null;
        int number = 0;
        bool sawErrno = false;
        foreach (string line in reply.Split('\n'))
        {
            number++;
            if (line.Length == 0)
            {
                break;
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                problem = $"line {number}: no '=' in '{Shown(line)}'";
                return false;
            }

            string key = line[..equals];
            string value = line[(equals + 1)..];
            bool ok = true;
            switch (key)
            {
                case "private_key" when peer is null: ok = TryHexKey(value, privateKey); break;
                case "listen_port" when peer is null: ok = TryUnsigned(value, ushort.MaxValue, out ulong p); listenPort = (int)p; break;
                case "fwmark" when peer is null: ok = TryUnsigned(value, uint.MaxValue, out ulong m); fwmark = (uint)m; break;
                case "public_key":
                    if (peer is not null)
                    {
                        peers.Add(peer.Build());
                    }

                    peer = new PeerBuilder();
                    ok = TryHexKey(value, peer.PublicKey);
                    break;
                case "preshared_key" when peer is not null: ok = TryHexKey(value, peer.PresharedKey); break;
                case "protocol_version" when peer is not null: ok = value == "1"; break;
                case "endpoint" when peer is not null: ok = TryEndpoint(value, out peer.Endpoint, out _); break;
                case "last_handshake_time_sec" when peer is not null: ok = TryUnsigned(value, long.MaxValue, out ulong s); peer.Seconds = (long)s; break;
                case "last_handshake_time_nsec" when peer is not null: ok = TryUnsigned(value, long.MaxValue, out ulong ns); peer.Nanoseconds = (long)ns; break;
                case "tx_bytes" when peer is not null: ok = TryUnsigned(value, long.MaxValue, out ulong tx); peer.Tx = (long)tx; break;
                case "rx_bytes" when peer is not null: ok = TryUnsigned(value, long.MaxValue, out ulong rx); peer.Rx = (long)rx; break;
                case "persistent_keepalive_interval" when peer is not null: ok = TryUnsigned(value, ushort.MaxValue, out ulong k); peer.Keepalive = (int)k; break;
                case "allowed_ip" when peer is not null:
                    ok = TryPrefix(value, out string? prefix, out _);
                    if (ok)
                    {
                        peer.AllowedIps.Add(prefix!);
                    }

                    break;
                case "errno":
                    ok = int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out errno);
                    sawErrno = true;
                    break;
                default:
                    problem = $"line {number}: unexpected key '{Shown(key)}'";
                    return false;
            }

            if (!ok)
            {
                problem = $"line {number}: {Shown(key)}: bad value '{Shown(value)}'";
                return false;
            }
        }

        if (!sawErrno)
        {
            problem = "the reply has no errno line";
            return false;
        }

        if (peer is not null)
        {
            peers.Add(peer.Build());
        }

        device = new UapiDeviceSnapshot(privateKey, listenPort, fwmark, peers);
        problem = null;
        return true;
    }

    /// <summary>"192.0.2.7:51820" or "[2001:db8::7]:51820", as wireguard-go prints an endpoint.</summary>
    public static string FormatEndpoint(IPEndPoint endpoint) =>
        endpoint.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{endpoint.Address}]:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{endpoint.Address}:{endpoint.Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Exactly 64 hex digits (either case) into 32 bytes.</summary>
    public static bool TryHexKey(string text, Span<byte> key)
    {
        if (text.Length != KeySize * 2 || key.Length != KeySize)
        {
            return false;
        }

        for (int i = 0; i < KeySize; i++)
        {
            int high = HexDigit(text[2 * i]);
            int low = HexDigit(text[(2 * i) + 1]);
            if (high < 0 || low < 0)
            {
                return false;
            }

            key[i] = (byte)((high << 4) | low);
        }

        return true;
    }

    /// <summary>Decimal digits only (no sign, no spaces), at most <paramref name="max"/> (Go's <c>strconv.ParseUint(s, 10, bits)</c>).</summary>
    public static bool TryUnsigned(string text, ulong max, out ulong value)
    {
        value = 0;
        if (text.Length == 0)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            ulong digit = (ulong)(c - '0');
            if (value > (max - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        return true;
    }

    /// <summary>"a.b.c.d:port" or "[v6]:port" with a numeric address (Go's <c>netip.ParseAddrPort</c>); no names, no zones.</summary>
    public static bool TryEndpoint(string text, out IPEndPoint? endpoint, out string? problem)
    {
        endpoint = null;
        int colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            problem = "must be address:port, like 192.0.2.7:51820 or [2001:db8::7]:51820";
            return false;
        }

        string host = text[..colon];
        if (!TryUnsigned(text[(colon + 1)..], ushort.MaxValue, out ulong port))
        {
            problem = "has a port that is not a number 0..65535";
            return false;
        }

        IPAddress? address;
        if (host.StartsWith('['))
        {
            if (!host.EndsWith(']') || !TryIPv6(host[1..^1], out address))
            {
                problem = "must put an IPv6 address (without a zone) in brackets, like [2001:db8::7]:51820";
                return false;
            }
        }
        else if (!TryIPv4(host, out address))
        {
            problem = "must be a numeric address (an IPv6 address in brackets), not a name";
            return false;
        }

        endpoint = new IPEndPoint(address!, (int)port);
        problem = null;
        return true;
    }

    /// <summary>"address/bits" (Go's <c>netip.ParsePrefix</c>: the length is required) as a canonical prefix, host bits cleared.</summary>
    public static bool TryPrefix(string text, out string? canonical, out string? problem)
    {
        canonical = null;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            problem = "must be a prefix with its length, like 10.2.0.0/16 or fd02::/64";
            return false;
        }

        string host = text[..slash];
        string bits = text[(slash + 1)..];
        IPAddress? address;
        if (!(host.Contains(':', StringComparison.Ordinal) ? TryIPv6(host, out address) : TryIPv4(host, out address)))
        {
            problem = "has an address that is neither a dotted IPv4 address nor an IPv6 address";
            return false;
        }

        int max = address!.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!TryUnsigned(bits, (ulong)max, out ulong length) || (bits.Length > 1 && bits[0] == '0'))
        {
            problem = $"has a prefix length that is not 0..{max}";
            return false;
        }

        byte[] bytes = address.GetAddressBytes();
        for (int bit = (int)length; bit < bytes.Length * 8; bit++)
        {
            bytes[bit >> 3] &= (byte)~(0x80 >> (bit & 7));
        }

        canonical = $"{new IPAddress(bytes)}/{length.ToString(CultureInfo.InvariantCulture)}";
        problem = null;
        return true;
    }

    /// <summary>A value for a message: non-printable bytes as \xNN, at most 80 characters.</summary>
    public static string Shown(string text)
    {
        var shown = new StringBuilder(Math.Min(text.Length, 80) + 8);
        foreach (char c in text)
        {
            if (shown.Length >= 80)
            {
                return shown.Append('…').ToString();
            }

            if (c is >= ' ' and <= '~' and not '\'')
            {
                shown.Append(c);
            }
            else
            {
                shown.Append(CultureInfo.InvariantCulture, $"\\x{(int)c & 0xff:x2}");
            }
        }

        return shown.ToString();
    }

    private static bool TryIPv4(string text, out IPAddress? address)
    {
        address = null;
        Span<byte> bytes = stackalloc byte[4];
        int part = 0;
        foreach (Range range in text.AsSpan().Split('.'))
        {
            ReadOnlySpan<char> octet = text.AsSpan(range);
            if (part == 4 || octet.Length is 0 or > 3 || (octet.Length > 1 && octet[0] == '0') || !TryUnsigned(octet.ToString(), 255, out ulong value))
            {
                return false;
            }

            bytes[part++] = (byte)value;
        }

        if (part != 4)
        {
            return false;
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static bool TryIPv6(string text, out IPAddress? address)
    {
        address = null;
        if (!text.Contains(':', StringComparison.Ordinal) || text.Contains('%', StringComparison.Ordinal) || text.Length > 45)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!(char.IsAsciiHexDigit(c) || c is ':' or '.'))
            {
                return false;
            }
        }

        return IPAddress.TryParse(text, out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static void Line(StringBuilder text, string key, string value) => text.Append(key).Append('=').Append(value).Append('\n');

    private static void Key(StringBuilder text, string key, ReadOnlySpan<byte> bytes) => text.Append(key).Append('=').Append(Convert.ToHexStringLower(bytes)).Append('\n');

    private sealed class PeerBuilder
    {
        public readonly byte[] PublicKey = new byte[KeySize];
        public readonly byte[] PresharedKey = new byte[KeySize];
        public readonly List<string> AllowedIps = [];
        public IPEndPoint? Endpoint;
        public long Seconds;
        public long Nanoseconds;
        public long Tx;
        public long Rx;
        public int Keepalive;

        public UapiPeerSnapshot Build() => new(PublicKey, PresharedKey, Endpoint, Seconds, Nanoseconds, Tx, Rx, Keepalive, AllowedIps);
    }
}
