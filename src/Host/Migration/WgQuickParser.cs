using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using RouterHost.WireGuard.Keys;

namespace RouterHost.Migration;

/// <summary>
/// Reads a wg-quick configuration file with the grammar of wg(8)'s <c>setconf</c> (wireguard-tools <c>config.c</c>)
/// plus the keys wg-quick(8) handles itself:
/// <list type="bullet">
/// <item>a <c>#</c> starts a comment to the end of the line; a line left blank is skipped;</item>
/// <item>wg removes every whitespace character from a line before reading it (so <c>Allowed IPs = a, b</c> reads as
/// <c>AllowedIPs=a,b</c>); section names and keys compare without regard to case (wg's <c>strcasecmp</c>, wg-quick's
/// <c>nocasematch</c>);</item>
/// <item>sections are <c>[Interface]</c> and <c>[Peer]</c> (each <c>[Peer]</c> starts a new peer); anything else, or a
/// key outside a section, is an error, as <c>wg setconf</c> says "Line unrecognized";</item>
/// <item>a key repeated in one section: the later value counts, except <c>Address</c>, <c>DNS</c>, the hooks and
/// <c>AllowedIPs</c>, whose values add up;</item>
/// <item><c>Address</c> and <c>DNS</c> are split at commas and whitespace, as wg-quick's word splitting does;
/// <c>AllowedIPs</c> at commas;</item>
/// <item>wg's value rules: keys are 44 base64 characters ending in '='; <c>ListenPort</c> 0..65535;
/// <c>FwMark</c> <c>off</c>, decimal or <c>0x</c> hex up to 0xffffffff; <c>PersistentKeepalive</c> <c>off</c> or
/// 0..65535; <c>Endpoint</c> <c>host:port</c> or <c>[v6]:port</c> (the port after the last ':'); an allowed IP is a
/// dotted-quad or IPv6 address with an optional decimal prefix length (wg tells them apart by a ':'); a key with
/// nothing after its '=' is an error, as in wg.</item>
/// </list>
/// Stricter than wg where RouterHost cannot follow: service names as ports, incremental <c>+</c>/<c>-</c> allowed IPs
/// (those are for <c>wg set</c>), two peers with one public key (wg merges them), and a missing <c>PrivateKey</c> are
/// errors. Nothing is resolved or read besides the text; every problem names the file, the line and the fix, and never
/// echoes a secret. Never throws on any input.
/// </summary>
internal static class WgQuickParser
{
    /// <summary>Largest file read, in characters; a wg-quick file is a few kilobytes.</summary>
    public const int MaxLength = 1 << 20;

    private static readonly string[] s_interfaceKeys = ["PrivateKey", "ListenPort", "FwMark", "Address", "MTU", "DNS", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig"];
    private static readonly string[] s_peerKeys = ["PublicKey", "PresharedKey", "AllowedIPs", "Endpoint", "PersistentKeepalive"];

    private enum Section
    {
        None,
        Interface,
        Peer,
    }

    /// <summary>
    /// Parses <paramref name="text"/>; returns the configuration when there are no errors (warnings may still be added),
    /// else null with every error in <paramref name="errors"/>.
    /// </summary>
    public static WgQuickConfig? Parse(string text, string file, List<WgQuickProblem> errors, List<WgQuickProblem> warnings)
    {
        ArgumentNullException.ThrowIfNull(text);
        int before = errors.Count;
        var config = new WgQuickConfig { File = file };
        if (text.Length > MaxLength)
        {
            errors.Add(new(file, 0, $"is {text.Length} characters long; a wg-quick file is at most {MaxLength} here: is this the right file?"));
            return null;
        }

        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var publicKeys = new Dictionary<string, int>(StringComparer.Ordinal);
        Section section = Section.None;
        WgQuickPeer? peer = null;
        int lineNumber = 0;
        // Lines end at '\n' only, as getline(3) and bash's read end them; a '\r' before it is whitespace.
        foreach (string rawLine in text.Split('\n'))
        {
            lineNumber++;
            ReadOnlySpan<char> line = rawLine;
            int hash = line.IndexOf('#');
            if (hash >= 0)
            {
                line = line[..hash];
            }

            string compact = RemoveWhitespace(line);
            if (compact.Length == 0)
            {
                continue;
            }

            if (compact[0] == '[')
            {
                if (string.Equals(compact, "[Interface]", StringComparison.OrdinalIgnoreCase))
                {
                    if (config.InterfaceLine != 0)
                    {
                        warnings.Add(new(file, lineNumber, $"a second [Interface] section (the first is at line {config.InterfaceLine}); its keys add to the first, as wg reads them"));
                    }
                    else
                    {
                        config.InterfaceLine = lineNumber;
                    }

                    section = Section.Interface;
                    peer = null;
                }
                else if (string.Equals(compact, "[Peer]", StringComparison.OrdinalIgnoreCase))
                {
                    section = Section.Peer;
                    peer = new WgQuickPeer { Line = lineNumber };
                    config.Peers.Add(peer);
                }
                else
                {
                    errors.Add(new(file, lineNumber, $"unknown section '{Shorten(compact)}': a wg-quick file has [Interface] and [Peer] sections"));
                    section = Section.None;
                    peer = null;
                }

                seen.Clear();
                continue;
            }

            int equals = line.IndexOf('=');
            if (equals < 0)
            {
                errors.Add(new(file, lineNumber, $"'{Shorten(compact)}' is not a 'Key = Value' line or a [Section] header"));
                continue;
            }

            string key = RemoveWhitespace(line[..equals]);
            string compactValue = RemoveWhitespace(line[(equals + 1)..]);
            string trimmedValue = line[(equals + 1)..].Trim().ToString();
            if (section == Section.None)
            {
                errors.Add(new(file, lineNumber, $"'{Shorten(key)}' is outside a section: put it under [Interface] or [Peer]"));
                continue;
            }

            string[] known = section == Section.Interface ? s_interfaceKeys : s_peerKeys;
            string? canonical = Array.Find(known, k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            if (canonical is null)
            {
                string hint = Array.Find(section == Section.Interface ? s_peerKeys : s_interfaceKeys, k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) is { } other
                    ? $" ({other} belongs in {(section == Section.Interface ? "a [Peer]" : "the [Interface]")} section)"
                    : string.Empty;
                errors.Add(new(file, lineNumber, $"unknown key '{Shorten(key)}' in [{section}]{hint}; known keys: {string.Join(", ", known)}"));
                continue;
            }

            if (compactValue.Length == 0)
            {
                errors.Add(new(file, lineNumber, $"{canonical} has no value after '='; give one or remove the line"));
                continue;
            }

            if (IsSingleValued(canonical) && seen.TryGetValue(canonical, out int earlier))
            {
                warnings.Add(new(file, lineNumber, $"{canonical} is given again (first at line {earlier}); this later value counts, as wg reads it"));
            }

            seen[canonical] = lineNumber;
            if (canonical == "PrivateKey")
            {
                config.PrivateKeyGiven = true;
            }
            else if (canonical == "PublicKey")
            {
                peer!.PublicKeyGiven = true;
            }
            var at = new Place(file, lineNumber, errors, warnings);
            if (section == Section.Interface)
            {
                ReadInterfaceKey(config, canonical, compactValue, trimmedValue, at);
            }
            else
            {
                ReadPeerKey(peer!, canonical, compactValue, at, publicKeys);
            }
        }

        if (!config.PrivateKeyGiven)
        {
            errors.Add(new(file, config.InterfaceLine, config.InterfaceLine == 0
                ? "has no [Interface] section with a PrivateKey: RouterHost needs this node's private key (wg genkey)"
                : "the [Interface] section has no PrivateKey: RouterHost needs this node's private key (add 'PrivateKey = ...' from wg genkey)"));
        }

        foreach (WgQuickPeer p in config.Peers)
        {
            if (!p.PublicKeyGiven)
            {
                errors.Add(new(file, p.Line, "this [Peer] has no PublicKey (wg: \"A peer is missing a public key\"); add the peer's 'PublicKey = ...'"));
            }
        }

        return errors.Count == before ? config : null;
    }

    private static bool IsSingleValued(string key) => key is not ("Address" or "DNS" or "PreUp" or "PostUp" or "PreDown" or "PostDown" or "AllowedIPs");

    private static void ReadInterfaceKey(WgQuickConfig config, string key, string value, string trimmed, Place at)
    {
        switch (key)
        {
            case "PrivateKey":
                if (ReadKey(value, key, at) is { } privateKey)
                {
                    config.PrivateKey = new(privateKey, at.Line);
                }

                break;
            case "ListenPort":
                if (TryDecimal(value, 65535, out uint port))
                {
                    config.ListenPort = new((int)port, at.Line);
                }
                else
                {
                    at.Error($"ListenPort must be a port number 0..65535 (got '{Shorten(value)}'; service names are not supported)");
                }

                break;
            case "FwMark":
                if (TryFwMark(value, out uint mark))
                {
                    config.FwMark = new(mark, at.Line);
                }
                else
                {
                    at.Error($"FwMark must be off, or 0..4294967295 in decimal or 0x hex (got '{Shorten(value)}')");
                }

                break;
            case "Address":
                foreach (string item in SplitWords(trimmed))
                {
                    if (TryAddress(item, out IPAddress? address, out int length, out string? why))
                    {
                        config.Addresses.Add(new(address, length, at.Line));
                    }
                    else
                    {
                        at.Error($"Address '{Shorten(item)}' {why}");
                    }
                }

                break;
            case "MTU":
                if (TryDecimal(value, int.MaxValue, out uint mtu) && mtu > 0)
                {
                    config.Mtu = new((int)mtu, at.Line);
                }
                else
                {
                    at.Error($"MTU must be a whole number of bytes, like 1420 (got '{Shorten(value)}')");
                }

                break;
            case "Table":
                if (value.Length > 64 || value.Any(c => char.IsControl(c) || c == '/'))
                {
                    at.Error($"Table must be off, auto, a table number or a table name (got '{Shorten(value)}')");
                }
                else
                {
                    config.Table = new(value, at.Line);
                }

                break;
            case "SaveConfig":
                if (!string.Equals(value, "true", StringComparison.OrdinalIgnoreCase) && !string.Equals(value, "false", StringComparison.OrdinalIgnoreCase))
                {
                    at.Error($"SaveConfig must be true or false (got '{Shorten(value)}')");
                }
                else
                {
                    config.NotCarried.Add(new(key, value, at.Line));
                }

                break;
            default:
                // DNS and the hooks: kept as written (a hook's spaces matter), never interpreted.
                config.NotCarried.Add(new(key, trimmed, at.Line));
                break;
        }
    }

    private static void ReadPeerKey(WgQuickPeer peer, string key, string value, Place at, Dictionary<string, int> publicKeys)
    {
        switch (key)
        {
            case "PublicKey":
                if (ReadKey(value, key, at) is { } publicKey)
                {
                    string text = WireGuardKey.Format(publicKey);
                    if (publicKeys.TryGetValue(text, out int other) && other != at.Line)
                    {
                        at.Error($"PublicKey {text} is also the key of the peer at line {other}; each [Peer] needs its own key (merge the two sections)");
                    }
                    else
                    {
                        publicKeys[text] = at.Line;
                    }

                    peer.PublicKey = new(publicKey, at.Line);
                }

                break;
            case "PresharedKey":
                if (ReadKey(value, key, at) is { } psk)
                {
                    peer.PresharedKey = new(psk, at.Line);
                }

                break;
            case "AllowedIPs":
                foreach (string item in value.Split(','))
                {
                    if (!TryAllowedIp(item, out WgQuickPrefix? prefix, out bool hostBits, out string? why, at.Line))
                    {
                        at.Error($"AllowedIPs entry '{Shorten(item)}' {why}");
                        continue;
                    }

                    if (hostBits)
                    {
                        at.Warning($"AllowedIPs entry '{item}' has host bits set; it means {prefix} (wg clears them too)");
                    }

                    if (!peer.AllowedIPs.Exists(p => p.PrefixLength == prefix.PrefixLength && p.Network.Equals(prefix.Network)))
                    {
                        peer.AllowedIPs.Add(prefix);
                    }
                }

                break;
            case "Endpoint":
                if (TryEndpoint(value, out string? host, out int port, out string? problem))
                {
                    peer.Endpoint = new(host, port, at.Line);
                }
                else
                {
                    at.Error($"Endpoint '{Shorten(value)}' {problem}");
                }

                break;
            default: // PersistentKeepalive
                if (string.Equals(value, "off", StringComparison.OrdinalIgnoreCase))
                {
                    peer.PersistentKeepalive = new(0, at.Line);
                }
                else if (TryDecimal(value, 65535, out uint seconds))
                {
                    peer.PersistentKeepalive = new((int)seconds, at.Line);
                }
                else
                {
                    at.Error($"PersistentKeepalive must be off or 0..65535 seconds (got '{Shorten(value)}')");
                }

                break;
        }
    }

    private static byte[]? ReadKey(string value, string key, Place at)
    {
        var bytes = new byte[WireGuardKey.Size];
        if (WireGuardKey.TryParse(value, bytes, out string? why))
        {
            return bytes;
        }

        CryptographicOperations.ZeroMemory(bytes);
        at.Error($"{key} {why} (wg genkey / wg pubkey / wg genpsk print one)");
        return null;
    }

    /// <summary>wg's <c>parse_fwmark</c>: "off", or digits (base 16 after "0x"), at most 0xffffffff.</summary>
    internal static bool TryFwMark(string value, out uint mark)
    {
        mark = 0;
        if (string.Equals(value, "off", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (value.Length > 2 && value[0] == '0' && value[1] == 'x')
        {
            return value.Length <= 10 && uint.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mark);
        }

        return TryDecimal(value, uint.MaxValue, out mark);
    }

    /// <summary>Only the digits 0-9, at most <paramref name="max"/>.</summary>
    private static bool TryDecimal(string value, uint max, out uint result)
    {
        result = 0;
        if (value.Length == 0 || value.Length > 10)
        {
            return false;
        }

        ulong n = 0;
        foreach (char c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            n = (n * 10) + (uint)(c - '0');
        }

        if (n > max)
        {
            return false;
        }

        result = (uint)n;
        return true;
    }

    /// <summary>An <c>Address</c> item: an address with an optional prefix length.</summary>
    internal static bool TryAddress(string item, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address, out int length, out string? problem)
    {
        length = 0;
        int slash = item.IndexOf('/', StringComparison.Ordinal);
        string addressText = slash < 0 ? item : item[..slash];
        if (!TryStrictAddress(addressText, out address))
        {
            problem = "is not an IPv4 or IPv6 address with an optional /prefix, like 10.0.0.1/24 or fd00::1/64";
            return false;
        }

        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        length = max;
        if (slash >= 0)
        {
            if (!TryDecimal(item[(slash + 1)..], (uint)max, out uint parsed))
            {
                problem = $"has a prefix length that is not 0..{max}";
                address = null;
                return false;
            }

            length = (int)parsed;
        }

        problem = null;
        return true;
    }

    /// <summary>wg's <c>parse_allowedips</c> for one entry: address (family by a ':'), optional "/digits".</summary>
    private static bool TryAllowedIp(string item, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out WgQuickPrefix? prefix, out bool hostBits, out string? problem, int line)
    {
        prefix = null;
        hostBits = false;
        if (item.Length > 0 && item[0] is '+' or '-')
        {
            problem = "starts with '+' or '-': incremental changes are for 'wg set' and 'wg addconf', not a configuration file; list the prefixes plainly";
            return false;
        }

        if (item.Length == 0)
        {
            problem = "is empty (two commas in a row, or one at the end?)";
            return false;
        }

        if (!TryAddress(item, out IPAddress? address, out int length, out problem))
        {
            return false;
        }

        byte[] bytes = address.GetAddressBytes();
        for (int bit = length; bit < bytes.Length * 8; bit++)
        {
            int mask = 0x80 >> (bit & 7);
            if ((bytes[bit >> 3] & mask) != 0)
            {
                hostBits = true;
                bytes[bit >> 3] &= (byte)~mask;
            }
        }

        prefix = new WgQuickPrefix(new IPAddress(bytes), length, line);
        return true;
    }

    /// <summary>
    /// inet_pton's forms: a dotted quad of decimal octets without leading zeros, or an IPv6 address (no zone) — .NET's
    /// own parser also takes "10.1" and "0x0a.1", which inet_pton refuses. wg picks the family by a ':'.
    /// </summary>
    internal static bool TryStrictAddress(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (text.Length == 0 || text.Length > 45)
        {
            return false;
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            foreach (char c in text)
            {
                if (!(char.IsAsciiHexDigit(c) || c is ':' or '.'))
                {
                    return false;
                }
            }

            return IPAddress.TryParse(text, out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }

        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        var bytes = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            string part = parts[i];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !TryDecimal(part, 255, out uint octet))
            {
                return false;
            }

            bytes[i] = (byte)octet;
        }

        address = new IPAddress(bytes);
        return true;
    }

    /// <summary>wg's <c>parse_endpoint</c> split: "[v6]:port", else the port after the last ':'; then checks the host.</summary>
    internal static bool TryEndpoint(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? host, out int port, out string? problem)
    {
        host = null;
        port = 0;
        string hostPart;
        string portPart;
        if (value.StartsWith('['))
        {
            int close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                problem = "has no ']' to close its '[': write an IPv6 endpoint as [2001:db8::7]:51820";
                return false;
            }

            if (close + 1 >= value.Length || value[close + 1] != ':' || close + 2 == value.Length)
            {
                problem = "has no port: write it as [2001:db8::7]:51820";
                return false;
            }

            hostPart = value[1..close];
            portPart = value[(close + 2)..];
        }
        else
        {
            int colon = value.LastIndexOf(':');
            if (colon < 0 || colon == value.Length - 1)
            {
                problem = "has no port: write it as host:port, like 192.0.2.7:51820 or vpn.example.net:51820";
                return false;
            }

            hostPart = value[..colon];
            portPart = value[(colon + 1)..];
        }

        if (!TryDecimal(portPart, 65535, out uint p) || p == 0)
        {
            problem = $"has a port that is not 1..65535 ('{Shorten(portPart)}'; service names are not supported)";
            return false;
        }

        if (hostPart.Contains(':', StringComparison.Ordinal) || value.StartsWith('['))
        {
            if (!TryStrictAddress(hostPart, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = "has a host that is not an IPv6 address";
                return false;
            }

            hostPart = v6.ToString();
        }
        else if (hostPart.Length == 0 || hostPart.Length > 253 || (!TryStrictAddress(hostPart, out _) && Uri.CheckHostName(hostPart) != UriHostNameType.Dns))
        {
            problem = "has a host that is neither an IP address nor a DNS name";
            return false;
        }

        host = hostPart;
        port = (int)p;
        problem = null;
        return true;
    }

    /// <summary>wg-quick's <c>${value//,/ }</c> then word splitting.</summary>
    private static IEnumerable<string> SplitWords(string value) =>
        value.Split([',', ' ', '\t', '\v', '\f', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>wg's <c>char_is_space</c>: removes ' ', \t, \n, \v, \f, \r anywhere.</summary>
    private static string RemoveWhitespace(ReadOnlySpan<char> text)
    {
        Span<char> buffer = text.Length <= 512 ? stackalloc char[text.Length] : new char[text.Length];
        int n = 0;
        foreach (char c in text)
        {
            if (c is not (' ' or '\t' or '\n' or '\v' or '\f' or '\r'))
            {
                buffer[n++] = c;
            }
        }

        return new string(buffer[..n]);
    }

    /// <summary>At most 60 characters of what the user wrote, control characters shown as '?'.</summary>
    private static string Shorten(string text)
    {
        string shown = text.Length > 60 ? text[..57] + "..." : text;
        return string.Create(shown.Length, shown, static (span, s) =>
        {
            for (int i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }

    private readonly record struct Place(string File, int Line, List<WgQuickProblem> Errors, List<WgQuickProblem> Warnings)
    {
        public void Error(string message) => Errors.Add(new(File, Line, message));

        public void Warning(string message) => Warnings.Add(new(File, Line, message));
    }
}
