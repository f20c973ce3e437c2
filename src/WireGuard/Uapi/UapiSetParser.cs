namespace RouterHost.WireGuard.Uapi;

/// <summary>
/// Reads a <c>set=1</c> body line by line into a <see cref="UapiSetRequest"/>, with wireguard-go's rules: device keys
/// (<c>private_key</c>, <c>listen_port</c>, <c>fwmark</c>, <c>replace_peers</c>) only before the first
/// <c>public_key</c>; each <c>public_key</c> opens a peer section; a line without '=' is <c>EPROTO</c>; an unknown
/// key or a bad value is <c>EINVAL</c>. The first bad line stops it (<see cref="Error"/> names the line and why).
/// Never throws on any input.
/// </summary>
internal sealed class UapiSetParser
{
    private UapiPeerOperation? _peer;

    /// <summary>What was read so far.</summary>
    public UapiSetRequest Request { get; } = new();

    /// <summary>The first problem (success while there is none).</summary>
    public UapiResult Error { get; private set; } = UapiResult.Success;

    /// <summary>Reads one line (without its end); false once a line was bad.</summary>
    public bool Line(string line, int number)
    {
        if (!Error.Succeeded)
        {
            return false;
        }

        int equals = line.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            return Fail(UapiErrno.Protocol, $"line {number}: '{UapiProtocol.Shown(line)}' is not key=value");
        }

        string key = line[..equals];
        string value = line[(equals + 1)..];
        if (key == "public_key")
        {
            byte[] publicKey = new byte[UapiProtocol.KeySize];
            if (!UapiProtocol.TryHexKey(value, publicKey))
            {
                return Invalid(number, key, value, "must be 64 hex digits (the 32-byte key)");
            }

            _peer = new UapiPeerOperation { PublicKey = publicKey };
            Request.Peers.Add(_peer);
            return true;
        }

        return _peer is null ? DeviceLine(number, key, value) : PeerLine(_peer, number, key, value);
    }

    private bool DeviceLine(int number, string key, string value)
    {
        switch (key)
        {
            case "private_key":
                byte[] privateKey = new byte[UapiProtocol.KeySize];
                if (!UapiProtocol.TryHexKey(value, privateKey))
                {
                    return Invalid(number, key, value, "must be 64 hex digits (the 32-byte key; all zeros removes it)");
                }

                Request.PrivateKey = privateKey;
                return true;
            case "listen_port":
                if (!UapiProtocol.TryUnsigned(value, ushort.MaxValue, out ulong port))
                {
                    return Invalid(number, key, value, "must be a number 0..65535");
                }

                Request.ListenPort = (int)port;
                return true;
            case "fwmark":
                if (!UapiProtocol.TryUnsigned(value, uint.MaxValue, out ulong mark))
                {
                    return Invalid(number, key, value, "must be a number 0..4294967295");
                }

                Request.Fwmark = (uint)mark;
                return true;
            case "replace_peers":
                if (value != "true")
                {
                    return Invalid(number, key, value, "must be 'true'");
                }

                Request.ReplacePeers = true;
                return true;
            default:
                return Fail(UapiErrno.Invalid, $"line {number}: '{UapiProtocol.Shown(key)}' is not a device key (private_key, listen_port, fwmark, replace_peers, public_key)");
        }
    }

    private bool PeerLine(UapiPeerOperation peer, int number, string key, string value)
    {
        switch (key)
        {
            case "update_only":
            case "remove":
            case "replace_allowed_ips":
                if (value != "true")
                {
                    return Invalid(number, key, value, "must be 'true'");
                }

                peer.Steps.Add(new UapiPeerStep(key switch
                {
                    "update_only" => UapiPeerStepKind.UpdateOnly,
                    "remove" => UapiPeerStepKind.Remove,
                    _ => UapiPeerStepKind.ReplaceAllowedIps,
                }));
                return true;
            case "preshared_key":
                byte[] psk = new byte[UapiProtocol.KeySize];
                if (!UapiProtocol.TryHexKey(value, psk))
                {
                    return Invalid(number, key, value, "must be 64 hex digits (the 32-byte key; all zeros for none)");
                }

                peer.Steps.Add(new UapiPeerStep(UapiPeerStepKind.PresharedKey, Key: psk));
                return true;
            case "endpoint":
                if (!UapiProtocol.TryEndpoint(value, out System.Net.IPEndPoint? endpoint, out string? endpointProblem))
                {
                    return Invalid(number, key, value, endpointProblem!);
                }

                peer.Steps.Add(new UapiPeerStep(UapiPeerStepKind.Endpoint, Endpoint: endpoint));
                return true;
            case "persistent_keepalive_interval":
                if (!UapiProtocol.TryUnsigned(value, ushort.MaxValue, out ulong seconds))
                {
                    return Invalid(number, key, value, "must be a number of seconds 0..65535 (0: off)");
                }

                peer.Steps.Add(new UapiPeerStep(UapiPeerStepKind.PersistentKeepalive, Number: (int)seconds));
                return true;
            case "allowed_ip":
                bool remove = value.StartsWith('-');
                if (!UapiProtocol.TryPrefix(remove ? value[1..] : value, out string? prefix, out string? prefixProblem))
                {
                    return Invalid(number, key, value, prefixProblem!);
                }

                peer.Steps.Add(new UapiPeerStep(UapiPeerStepKind.AllowedIp, new UapiAllowedIp(prefix!, remove)));
                return true;
            case "protocol_version":
                if (value != "1")
                {
                    return Invalid(number, key, value, "must be 1 (the only version)");
                }

                peer.Steps.Add(new UapiPeerStep(UapiPeerStepKind.ProtocolVersion));
                return true;
            default:
                return Fail(UapiErrno.Invalid, $"line {number}: '{UapiProtocol.Shown(key)}' is not a peer key (remove, update_only, preshared_key, endpoint, persistent_keepalive_interval, replace_allowed_ips, allowed_ip, protocol_version; device keys come before the first public_key)");
        }
    }

    private bool Invalid(int number, string key, string value, string problem) =>
        Fail(UapiErrno.Invalid, key is "private_key" or "preshared_key"
            ? $"line {number}: {key}: {problem} (got {value.Length} characters, not shown: it may be a secret)"
            : $"line {number}: {key}: {problem} (got '{UapiProtocol.Shown(value)}')");

    private bool Fail(int errno, string message)
    {
        Error = new UapiResult(errno, message);
        return false;
    }
}
