using System.Security.Cryptography;
using RouterHost.Abstractions;

namespace RouterHost.WireGuard.Stage;

/// <summary>What configuration says of a running peer: the values a change is compared with, and what status shows.</summary>
/// <param name="Path">The key path it was configured at (for messages).</param>
/// <param name="Endpoint">The configured endpoint text ("host:port"), or null for none.</param>
/// <param name="AllowedIPs">Its canonical allowed prefixes.</param>
/// <param name="PersistentKeepalive">The keepalive interval (zero: off).</param>
/// <param name="Groups">Groups firewall rules can name.</param>
internal sealed record PeerConfigurationState(string Path, string? Endpoint, IReadOnlyList<string> AllowedIPs, TimeSpan PersistentKeepalive, IReadOnlyList<string> Groups)
{
    public static readonly PeerConfigurationState Empty = new(string.Empty, null, [], TimeSpan.Zero, []);
}

/// <summary>
/// One peer as a change asks for it. A configuration file names every field of every peer; a UAPI <c>set</c> names only
/// what its lines carry, so every field but the key is optional: null keeps what the running peer has (a new peer gets
/// none / empty / off).
/// </summary>
/// <param name="Path">Where it was asked for (key path, or "uapi peer N"), for problems.</param>
/// <param name="PublicKey">Its static public key: a peer's identity.</param>
internal sealed record DesiredPeer(string Path, byte[] PublicKey)
{
    /// <summary>Its port name; null keeps the running peer's, and names a new peer after its key.</summary>
    public string? Name { get; init; }

    /// <summary>Remove the peer (UAPI <c>remove=true</c>); every other field is ignored.</summary>
    public bool Remove { get; init; }

    /// <summary>Change the peer only if it runs already (UAPI <c>update_only=true</c>); a new one is not added.</summary>
    public bool UpdateOnly { get; init; }

    /// <summary>The preshared key: null keeps it, empty (or 32 zero bytes) means none.</summary>
    public byte[]? PresharedKey { get; init; }

    /// <summary>Whether <see cref="Endpoint"/> is set by this change (a file always sets it, possibly to none).</summary>
    public bool SetsEndpoint { get; init; }

    /// <summary>The endpoint text ("host:port") when <see cref="SetsEndpoint"/>; null: none configured.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Canonical prefixes to add (or, with <see cref="ReplaceAllowedIPs"/>, the whole list); null: none added.</summary>
    public IReadOnlyList<string>? AllowedIPs { get; init; }

    /// <summary>Whether <see cref="AllowedIPs"/> replaces the running list (UAPI <c>replace_allowed_ips=true</c>; a file always does).</summary>
    public bool ReplaceAllowedIPs { get; init; }

    /// <summary>Canonical prefixes to take out (UAPI <c>allowed_ip=-prefix</c>).</summary>
    public IReadOnlyList<string> RemoveAllowedIPs { get; init; } = [];

    /// <summary>The keepalive interval; null keeps it.</summary>
    public TimeSpan? PersistentKeepalive { get; init; }

    /// <summary>Its groups; null keeps them.</summary>
    public IReadOnlyList<string>? Groups { get; init; }
}

/// <summary>
/// A whole change to the stage: its private key and listen port when they are named, the peers it names, and whether
/// peers it does not name are removed (a configuration file: yes; UAPI: only with <c>replace_peers=true</c>).
/// </summary>
/// <param name="Peers">The peers the change names, in order.</param>
internal sealed record PeerConfiguration(IReadOnlyList<DesiredPeer> Peers)
{
    /// <summary>Remove every running peer the change does not name.</summary>
    public bool ReplacePeers { get; init; }

    /// <summary>A private key (UAPI <c>private_key</c>, the file's key file); null keeps ours. A different key renegotiates.</summary>
    public byte[]? PrivateKey { get; init; }

    /// <summary>A listen port (UAPI <c>listen_port</c>); null keeps it. A different one rebinds the sockets.</summary>
    public int? ListenPort { get; init; }
}

/// <summary>What changed about a peer that stays (same key and name).</summary>
[Flags]
internal enum PeerChange
{
    None = 0,
    Endpoint = 1,
    PresharedKey = 2,
    AllowedIPs = 4,
    PersistentKeepalive = 8,
    Groups = 16,
}

/// <summary>A running peer as the diff sees it.</summary>
/// <param name="PublicKey">Its key (base64).</param>
/// <param name="Name">Its port name.</param>
/// <param name="PresharedKey">A copy of its preshared key (32 zero bytes: none), wiped by the caller afterwards.</param>
/// <param name="State">What configuration said of it last.</param>
internal sealed record RunningPeer(string PublicKey, string Name, byte[] PresharedKey, PeerConfigurationState State);

/// <summary>A peer as it will be after the change: every field resolved.</summary>
internal sealed record PlannedPeer(string PublicKey, string Name, byte[] PresharedKey, PeerConfigurationState State);

/// <summary>
/// The peers a change adds, removes and changes, or the problems (with key paths) that refuse it as a whole. Computed
/// by <see cref="Compute"/> without touching anything, so a refused change leaves the running peers as they were.
/// </summary>
internal sealed class PeerPlan
{
    private PeerPlan()
    {
    }

    public List<PlannedPeer> Added { get; } = [];

    public List<RunningPeer> Removed { get; } = [];

    public List<(RunningPeer Running, PlannedPeer Planned, PeerChange What)> Changed { get; } = [];

    public List<ConfigurationProblem> Problems { get; } = [];

    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    /// <summary>
    /// Compares <paramref name="running"/> with <paramref name="desired"/>. A peer is its public key (as in WireGuard):
    /// the same key under another name is removed and added again (a new port); another key under a running name is a
    /// new peer, and the old one must go in the same change. Refused: a key named twice, a name used twice, a name
    /// <paramref name="nameTaken"/> says belongs to another port, a prefix to remove that is not the peer's.
    /// </summary>
    public static PeerPlan Compute(IReadOnlyList<RunningPeer> running, PeerConfiguration desired, Func<string, string?>? nameTaken = null)
    {
        var plan = new PeerPlan();
        var byKey = new Dictionary<string, RunningPeer>(StringComparer.Ordinal);
        foreach (RunningPeer peer in running)
        {
            byKey[peer.PublicKey] = peer;
        }

        var named = new Dictionary<string, string>(StringComparer.Ordinal); // key → path
        var kept = new HashSet<string>(StringComparer.Ordinal);
        foreach (DesiredPeer peer in desired.Peers)
        {
            string key = Convert.ToBase64String(peer.PublicKey);
            if (named.TryGetValue(key, out string? other))
            {
                plan.Problems.Add(new($"{peer.Path}:PublicKey", $"is also the public key at {other}; each peer needs its own key"));
                continue;
            }

            named[key] = peer.Path;
            byKey.TryGetValue(key, out RunningPeer? current);
            if (peer.Remove)
            {
                if (current is not null)
                {
                    plan.Removed.Add(current);
                }

                continue;
            }

            if (current is null && peer.UpdateOnly)
            {
                continue;
            }

            PlannedPeer? planned = Merge(current, peer, key, plan.Problems);
            if (planned is null)
            {
                continue;
            }

            if (current is null)
            {
                plan.Added.Add(planned);
            }
            else if (!string.Equals(current.Name, planned.Name, StringComparison.Ordinal))
            {
                // Renamed: a port's name is fixed, so the peer leaves under the old name and comes back under the new.
                plan.Removed.Add(current);
                plan.Added.Add(planned);
            }
            else
            {
                kept.Add(key);
                PeerChange what = Compare(current, planned);
                if (what != PeerChange.None)
                {
                    plan.Changed.Add((current, planned, what));
                }
            }
        }

        if (desired.ReplacePeers)
        {
            foreach (RunningPeer peer in running)
            {
                if (!named.ContainsKey(peer.PublicKey))
                {
                    plan.Removed.Add(peer);
                }
            }
        }

        // Names after the change must be unique: among the peers that stay, the ones added, and the router's other ports.
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var removedNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var removed = new HashSet<RunningPeer>(ReferenceEqualityComparer.Instance); // a hub replaced whole: not a scan per peer
        foreach (RunningPeer peer in plan.Removed)
        {
            removedNames.Add(peer.Name);
            removed.Add(peer);
        }

        foreach (RunningPeer peer in running)
        {
            if (!removed.Contains(peer))
            {
                names[peer.Name] = $"running peer {peer.PublicKey}";
            }
        }

        foreach (PlannedPeer peer in plan.Added)
        {
            if (names.TryGetValue(peer.Name, out string? holder))
            {
                plan.Problems.Add(new(peer.State.Path, $"the name '{peer.Name}' is already the name of the {holder}; give each peer its own name"));
                continue;
            }

            if (!removedNames.Contains(peer.Name) && nameTaken?.Invoke(peer.Name) is { } owner)
            {
                plan.Problems.Add(new(peer.State.Path, $"the name '{peer.Name}' is already used by {owner}; port names must be unique across interfaces and peers"));
                continue;
            }

            names[peer.Name] = $"peer {peer.PublicKey} added at {peer.State.Path}";
        }

        return plan;
    }

    /// <summary>The name a peer added without one gets: from its key, as <c>wg</c> shows peers.</summary>
    public static string DefaultName(string publicKey)
    {
        var name = new System.Text.StringBuilder("peer-");
        foreach (char c in publicKey)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                name.Append(c);
            }

            if (name.Length == 17)
            {
                break;
            }
        }

        return name.ToString();
    }

    private static PlannedPeer? Merge(RunningPeer? current, DesiredPeer peer, string key, List<ConfigurationProblem> problems)
    {
        PeerConfigurationState state = current?.State ?? PeerConfigurationState.Empty;
        var allowed = new List<string>(peer.ReplaceAllowedIPs ? [] : state.AllowedIPs);
        foreach (string prefix in peer.AllowedIPs ?? [])
        {
            if (!allowed.Contains(prefix))
            {
                allowed.Add(prefix);
            }
        }

        foreach (string prefix in peer.RemoveAllowedIPs)
        {
            allowed.Remove(prefix);
        }

        byte[] psk = peer.PresharedKey is { } given
            ? (given.Length == 0 ? new byte[32] : (byte[])given.Clone())
            : (byte[])(current?.PresharedKey ?? new byte[32]).Clone();
        if (psk.Length != 32)
        {
            problems.Add(new($"{peer.Path}:PresharedKey", "must be 32 bytes"));
            return null;
        }

        string name = peer.Name ?? current?.Name ?? DefaultName(key);
        var next = new PeerConfigurationState(
            peer.Path,
            peer.SetsEndpoint ? peer.Endpoint : state.Endpoint,
            allowed,
            peer.PersistentKeepalive ?? state.PersistentKeepalive,
            peer.Groups ?? state.Groups);
        return new PlannedPeer(key, name, psk, next);
    }

    private static PeerChange Compare(RunningPeer current, PlannedPeer planned)
    {
        PeerChange what = PeerChange.None;
        if (!string.Equals(current.State.Endpoint, planned.State.Endpoint, StringComparison.Ordinal))
        {
            what |= PeerChange.Endpoint;
        }

        if (!CryptographicOperations.FixedTimeEquals(current.PresharedKey, planned.PresharedKey))
        {
            what |= PeerChange.PresharedKey;
        }

        if (!current.State.AllowedIPs.SequenceEqual(planned.State.AllowedIPs, StringComparer.Ordinal))
        {
            what |= PeerChange.AllowedIPs;
        }

        if (current.State.PersistentKeepalive != planned.State.PersistentKeepalive)
        {
            what |= PeerChange.PersistentKeepalive;
        }

        if (!current.State.Groups.SequenceEqual(planned.State.Groups, StringComparer.Ordinal))
        {
            what |= PeerChange.Groups;
        }

        return what;
    }
}
