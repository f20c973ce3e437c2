using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings;
using RouterHost.WireGuard.Keys;

namespace RouterHost.WireGuard.Stage;

/// <summary>One configured peer.</summary>
/// <param name="Path">Its configuration path, for messages.</param>
/// <param name="Name">Its port name (the key under <c>Peers</c>).</param>
/// <param name="PublicKey">Its static public key.</param>
/// <param name="PresharedKey">The preshared key read from its file; empty when none.</param>
/// <param name="Endpoint">Where to reach it ("host:port"), or null when it must reach us first.</param>
/// <param name="AllowedIPs">Canonical prefixes it may send from and that route to it.</param>
/// <param name="PersistentKeepalive">Keepalive interval, or zero for none.</param>
/// <param name="Groups">Groups firewall rules can name.</param>
internal sealed record PeerSettings(
    string Path,
    string Name,
    byte[] PublicKey,
    byte[] PresharedKey,
    string? Endpoint,
    IReadOnlyList<string> AllowedIPs,
    TimeSpan PersistentKeepalive,
    IReadOnlyList<string> Groups);

/// <summary>
/// The WireGuard stage's settings:
/// <code>
/// "Settings": {
///   "PrivateKeyFile": "/etc/routerhost/wg.key",      // base64 private key, mode 0600 (routerhost genkey)
///   "ListenPort": 51820,                              // 0: any free port
///   "ListenAddresses": [ "0.0.0.0", "::" ],           // one socket set per address
///   "Sockets": 2,                                     // SO_REUSEPORT sockets per address (default: processors)
///   "Mtu": 1420,                                      // the tunnel's inner MTU (padding stops here)
///   "ReceiveBufferBytes": 7340032, "SendBufferBytes": 7340032,
///   "Offloads": { "Gso": true, "Gro": true },         // UDP_SEGMENT on send, UDP_GRO on receive
///   "Namespace": "underlay",                          // open the sockets in this network namespace
///   "Uapi": true, "UapiName": "wg0",                  // serve /var/run/wireguard/wg0.sock for wg (name: default the stage's)
///   "FwMark": 51820,                                  // SO_MARK of the sockets (a full tunnel picks the listen port)
///   "Aqm": { "Enabled": true, "Target": "1ms", "Interval": "20ms" },   // CoDel on the receive path
///   "Peers": {
///     "site-b": { "PublicKey": "…", "PresharedKeyFile": "/etc/routerhost/site-b.psk", "Endpoint": "192.0.2.7:51820",
///                 "AllowedIPs": [ "10.2.0.0/16", "fd02::/64" ], "PersistentKeepalive": "25s", "Groups": [ "sites" ] } } }
/// </code>
/// Key files are read when the settings are read, so <c>routerhost validate</c> reports a missing, malformed or
/// too-open key file with its key path.
/// </summary>
/// <param name="PrivateKey">Our static private key (wiped by the stage once imported).</param>
/// <param name="ListenPort">The UDP port (0: any free one, shared by every socket).</param>
/// <param name="ListenAddresses">Addresses to listen on; each gets <paramref name="Sockets"/> sockets.</param>
/// <param name="ListenAddressesConfigured">False when the default (both families) applies: then IPv6 is optional.</param>
/// <param name="Sockets">SO_REUSEPORT sockets per address; each is a source of its own runner thread.</param>
/// <param name="Mtu">The tunnel's inner MTU: plaintext is padded to 16 bytes but not past it.</param>
/// <param name="ReceiveBufferBytes">Socket receive buffer asked for.</param>
/// <param name="SendBufferBytes">Socket send buffer asked for.</param>
/// <param name="Gso">Whether to send equal-size datagrams as one UDP_SEGMENT message.</param>
/// <param name="Gro">Whether to receive coalesced datagrams (UDP_GRO).</param>
/// <param name="Namespace">A network namespace (name or absolute path) the sockets are opened in; null: the router's own.</param>
/// <param name="Peers">The peers, in configuration order.</param>
/// <param name="Uapi">Whether to serve the WireGuard UAPI socket (<c>/var/run/wireguard/NAME.sock</c>) that <c>wg</c> uses.</param>
/// <param name="UapiName">The NAME of that socket (null: the stage's name).</param>
internal sealed record WireGuardSettings(
    byte[] PrivateKey,
    int ListenPort,
    IReadOnlyList<IPAddress> ListenAddresses,
    bool ListenAddressesConfigured,
    int Sockets,
    int Mtu,
    int ReceiveBufferBytes,
    int SendBufferBytes,
    bool Gso,
    bool Gro,
    string? Namespace,
    IReadOnlyList<PeerSettings> Peers,
    bool Uapi = false,
    string? UapiName = null)
{
    /// <summary>
    /// <c>FwMark</c>: the firewall mark (SO_MARK) of every socket; 0 when none is configured (a full tunnel then picks the
    /// listen port). It also numbers the routing table of a full tunnel's default route.
    /// </summary>
    public uint FwMark { get; init; }

    /// <summary><c>Aqm</c>: CoDel on the receive path (see <see cref="ReceiveAqmSettings"/>).</summary>
    public ReceiveAqmSettings Aqm { get; init; } = ReceiveAqmSettings.Default;

    /// <summary>Zeroes the private key and every preshared key read (settings nobody will use).</summary>
    public void WipeSecrets()
    {
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(PrivateKey);
        foreach (PeerSettings peer in Peers)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(peer.PresharedKey);
        }
    }

    public const int DefaultMtu = 1420;
    public const int DefaultBufferBytes = 7 << 20;

    private static readonly string[] s_keys = ["PrivateKeyFile", "ListenPort", "ListenAddresses", "Sockets", "Mtu", "ReceiveBufferBytes", "SendBufferBytes", "Offloads", "Namespace", "FwMark", "Peers", "Uapi", "UapiName", "Aqm"];
    private static readonly string[] s_offloadKeys = ["Gso", "Gro"];
    private static readonly string[] s_peerKeys = ["PublicKey", "PresharedKeyFile", "Endpoint", "AllowedIPs", "PersistentKeepalive", "Groups"];

    /// <summary>
    /// Reads the settings, adding every problem (with its key path) to <paramref name="problems"/>. With
    /// <paramref name="readKeyFiles"/> false the key files are not opened (the keys stay zero): for the readers that
    /// run after validation has checked them (MTU and peers for warnings and notes), so a hub of thousands of peers
    /// with a preshared key file each does not read every file once per reader.
    /// </summary>
    public static WireGuardSettings Parse(IConfigurationSection section, List<ConfigurationProblem> problems, bool readKeyFiles = true)
    {
        var reader = new SettingsReader(problems);
        reader.CheckKeys(section, s_keys);

        var privateKey = new byte[WireGuardKey.Size];
        string? keyFile = section["PrivateKeyFile"];
        if (string.IsNullOrWhiteSpace(keyFile))
        {
            reader.Problem($"{section.Path}:PrivateKeyFile", "is required: the file with this node's private key (make one with: routerhost genkey > FILE; chmod 600 FILE)");
        }
        else if (readKeyFiles && !KeyFile.TryRead(keyFile.Trim(), privateKey, out string? why))
        {
            reader.Problem($"{section.Path}:PrivateKeyFile", why!);
        }

        int port = (int)reader.Integer(section, "ListenPort", 51820, 0, 65535);
        int mtu = (int)reader.Integer(section, "Mtu", DefaultMtu, 576, 65535 - 80);
        int sockets = (int)reader.Integer(section, "Sockets", Math.Clamp(Environment.ProcessorCount, 1, 64), 1, 64);
        int receiveBuffer = (int)reader.Integer(section, "ReceiveBufferBytes", DefaultBufferBytes, 64 << 10, 1 << 30);
        int sendBuffer = (int)reader.Integer(section, "SendBufferBytes", DefaultBufferBytes, 64 << 10, 1 << 30);

        IConfigurationSection offloads = section.GetSection("Offloads");
        reader.CheckKeys(offloads, s_offloadKeys);
        bool gso = reader.Boolean(offloads, "Gso", true);
        bool gro = reader.Boolean(offloads, "Gro", true);

        string? ns = reader.NamespaceName(section, "Namespace");

        IConfigurationSection listenSection = section.GetSection("ListenAddresses");
        bool listenConfigured = listenSection.Exists();
        var listen = new List<IPAddress>();
        if (listenConfigured)
        {
            foreach ((string path, string text) in reader.Strings(listenSection))
            {
                if (!IPAddress.TryParse(text, out IPAddress? address))
                {
                    reader.Problem(path, $"must be an IP address to listen on, like 0.0.0.0, :: or 192.0.2.1 (got '{text}')");
                }
                else if (listen.Contains(address))
                {
                    reader.Problem(path, $"{address} is listed twice");
                }
                else
                {
                    listen.Add(address);
                }
            }

            if (listen.Count == 0 && problems.Count == 0)
            {
                reader.Problem(listenSection.Path, "must list at least one address");
            }
        }
        else
        {
            listen.Add(IPAddress.Any);
            listen.Add(IPAddress.IPv6Any);
        }

        var peers = new List<PeerSettings>();
        var publicKeys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (IConfigurationSection peer in section.GetSection("Peers").GetChildren())
        {
            PeerSettings? parsed = ParsePeer(peer, reader, readKeyFiles);
            if (parsed is null)
            {
                continue;
            }

            string key = Convert.ToBase64String(parsed.PublicKey);
            if (publicKeys.TryGetValue(key, out string? other))
            {
                reader.Problem($"{peer.Path}:PublicKey", $"is also the public key of peer '{other}'; each peer needs its own key");
                continue;
            }

            publicKeys[key] = parsed.Name;
            peers.Add(parsed);
        }

        bool uapi = reader.Boolean(section, "Uapi", false);
        string? uapiName = section["UapiName"]?.Trim();
        if (uapiName is not null && !RouterHost.WireGuard.Uapi.UapiServer.IsValidName(uapiName))
        {
            reader.Problem($"{section.Path}:UapiName", $"'{uapiName}' cannot name a WireGuard UAPI socket: use 1 to 15 of A-Z a-z 0-9 . _ - (an interface name, as 'wg show NAME' takes it)");
        }

        uint fwmark = ParseFwMark(section, reader);
        ReceiveAqmSettings aqm = ReceiveAqmSettings.Parse(section.GetSection("Aqm"), reader);
        return new WireGuardSettings(privateKey, port, listen, listenConfigured, sockets, mtu, receiveBuffer, sendBuffer, gso, gro, ns, peers, uapi, uapiName) { FwMark = fwmark, Aqm = aqm };
    }

    /// <summary>
    /// <c>FwMark</c>: <c>off</c> or 0 (none), a number or <c>0x</c> hex, as <c>wg set fwmark</c> takes it; at most
    /// 2147483647 and not 253-255, because a full tunnel uses it as a routing table number too.
    /// </summary>
    internal static uint ParseFwMark(IConfigurationSection section, SettingsReader reader)
    {
        string? text = section["FwMark"]?.Trim();
        if (text is null || text.Length == 0 || text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        bool hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        bool parsed = hex
            ? uint.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out uint mark)
            : uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out mark);
        if (!parsed || mark > int.MaxValue || mark is 253 or 254 or 255)
        {
            reader.Problem($"{section.Path}:FwMark", $"must be off, or a firewall mark 1..2147483647 (decimal or 0x hex) other than 253-255, which name the kernel's own routing tables (got '{text}')");
            return 0;
        }

        return mark;
    }

    private static PeerSettings? ParsePeer(IConfigurationSection peer, SettingsReader reader, bool readKeyFiles)
    {
        int before = reader.Problems.Count;
        reader.CheckKeys(peer, s_peerKeys);
        if (peer.Key.Length is 0 or > 64 || peer.Key.Any(char.IsWhiteSpace))
        {
            reader.Problem(peer.Path, "a peer's name must be 1 to 64 characters without spaces");
        }

        var publicKey = new byte[WireGuardKey.Size];
        string? publicText = peer["PublicKey"];
        if (string.IsNullOrWhiteSpace(publicText))
        {
            reader.Problem($"{peer.Path}:PublicKey", "is required: the peer's public key (wg pubkey / routerhost pubkey)");
        }
        else if (!WireGuardKey.TryParse(publicText, publicKey, out string? why))
        {
            reader.Problem($"{peer.Path}:PublicKey", why!);
        }
        else if (RouterHost.WireGuard.Protocol.RemoteIdentity.YieldsNoSharedSecret(publicKey))
        {
            reader.Problem($"{peer.Path}:PublicKey", "is not a usable public key (a low-order point: it yields no shared secret with any private key); check the key, or make the peer one with: routerhost genkey | routerhost pubkey");
        }

        byte[] psk = [];
        string? pskFile = peer["PresharedKeyFile"];
        if (pskFile is not null)
        {
            psk = new byte[WireGuardKey.Size];
            if (readKeyFiles && !KeyFile.TryRead(pskFile.Trim(), psk, out string? why))
            {
                reader.Problem($"{peer.Path}:PresharedKeyFile", why!);
            }
        }

        string? endpoint = peer["Endpoint"]?.Trim();
        if (endpoint is not null && !TrySplitEndpoint(endpoint, out _, out _, out string? endpointProblem))
        {
            reader.Problem($"{peer.Path}:Endpoint", endpointProblem!);
        }

        var allowed = new List<string>();
        foreach ((string path, string text) in reader.Strings(peer.GetSection("AllowedIPs")))
        {
            if (TryCanonicalPrefix(text, out string? canonical, out string? problem))
            {
                if (!allowed.Contains(canonical!))
                {
                    allowed.Add(canonical!);
                }
            }
            else
            {
                reader.Problem(path, problem!);
            }
        }

        TimeSpan keepalive = reader.Duration(peer, "PersistentKeepalive", TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(65535));
        if (keepalive > TimeSpan.Zero && keepalive < TimeSpan.FromSeconds(1))
        {
            reader.Problem($"{peer.Path}:PersistentKeepalive", "must be 0 (off) or at least 1 second");
        }

        var groups = new List<string>();
        foreach ((string _, string text) in reader.Strings(peer.GetSection("Groups")))
        {
            groups.Add(text);
        }

        return reader.Problems.Count == before
            ? new PeerSettings(peer.Path, peer.Key, publicKey, psk, endpoint, allowed, keepalive, groups)
            : null;
    }

    /// <summary>Splits "host:port", "[v6]:port" or "v4:port"; the host may be a name (resolved when the stage starts).</summary>
    public static bool TrySplitEndpoint(string text, out string host, out int port, out string? problem)
    {
        host = string.Empty;
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = $"must be host:port, like 192.0.2.7:51820, [2001:db8::7]:51820 or vpn.example.net:51820 (got '{text}')";
            return false;
        }

        string hostPart = text[..colon];
        if (hostPart.StartsWith('['))
        {
            if (!hostPart.EndsWith(']') || !IPAddress.TryParse(hostPart[1..^1], out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"must put an IPv6 address in brackets, like [2001:db8::7]:51820 (got '{text}')";
                return false;
            }

            hostPart = hostPart[1..^1];
        }
        else if (hostPart.Contains(':', StringComparison.Ordinal))
        {
            problem = $"an IPv6 address needs brackets: [address]:port (got '{text}')";
            return false;
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            problem = $"has a port that is not 1..65535 (got '{text}')";
            return false;
        }

        if (hostPart.Length == 0 || hostPart.Length > 253 || (!IPAddress.TryParse(hostPart, out _) && Uri.CheckHostName(hostPart) != UriHostNameType.Dns))
        {
            problem = $"has a host that is neither an IP address nor a DNS name (got '{text}')";
            return false;
        }

        host = hostPart;
        problem = null;
        return true;
    }

    /// <summary>
    /// Canonical prefixes (made by <see cref="TryCanonicalPrefix"/>) as the plugin contract takes them
    /// (<see cref="PortInfo.Prefixes"/>): converted once, when peers are registered, never on the data path.
    /// </summary>
    public static IPNetwork[] Networks(IReadOnlyList<string> canonical)
    {
        var networks = new IPNetwork[canonical.Count];
        for (int i = 0; i < networks.Length; i++)
        {
            networks[i] = IPNetwork.Parse(canonical[i]);
        }

        return networks;
    }

    /// <summary>"10.2.0.7/16" → "10.2.0.0/16"; a bare address is a host prefix (/32 or /128).</summary>
    public static bool TryCanonicalPrefix(string text, out string? canonical, out string? problem)
    {
        canonical = null;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address) || addressText.Contains('%', StringComparison.Ordinal))
        {
            problem = $"must be a prefix like 10.2.0.0/16 or fd02::/64 (got '{text}')";
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int length = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max))
        {
            problem = $"has a prefix length that is not 0..{max} (got '{text}')";
            return false;
        }

        byte[] bytes = address.GetAddressBytes();
        for (int bit = length; bit < bytes.Length * 8; bit++)
        {
            bytes[bit >> 3] &= (byte)~(0x80 >> (bit & 7));
        }

        canonical = $"{new IPAddress(bytes)}/{length}";
        problem = null;
        return true;
    }
}
