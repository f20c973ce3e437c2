using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// Live changes to the stage: <see cref="ApplyPeers"/> is the one path every change of peers takes (a configuration
/// reload through <see cref="Reconfigure"/>; the UAPI <c>set</c> command maps onto it too), and a changed private key
/// renegotiates every session as wireguard-go does. Peers that a change does not touch keep their sessions.
/// <para>
/// How a change reaches the threads: the new peers are registered with the router's port registry
/// (<see cref="IPortRegistry.ChangePeers"/>); the registry's change notification reaches this stage first (it subscribed
/// when it was created, before any other stage started), which swaps its <see cref="PeerTable"/>, and then the routing
/// stage, which swaps its routes and cryptokey check together, and the runner's peer-owner map. A removed peer is marked
/// removed before the swap (its packets are refused from then on, counted as <c>wireguard.removed_peer</c>); the
/// handshake thread then zeroes its sessions and frees its indices. Port ids and counter slots are never reused.
/// </para>
/// </summary>
internal sealed partial class WireGuardStage : IReconfigurableStage, IRestartBoundSettings
{
    /// <summary>Settings the running stage keeps until a restart (its sockets and packet sizes are built from them).</summary>
    private static readonly string[] s_restartBound = ["ListenAddresses", "Sockets", "Mtu", "ReceiveBufferBytes", "SendBufferBytes", "Offloads", "Namespace", "Aqm"];

    private readonly Lock _applyLock = new();
    private PeerTable _table;
    private LocalIdentity _local;
    private CookieChecker _checker;
    private int _nextSlot;
    private IPortRegistry? _ports;
    private Dictionary<string, PreparedPeer>? _adding;
    private IReadOnlyList<string> _restartPending = [];
    private int? _listenPortSetting;

    /// <inheritdoc/>
    public IReadOnlyList<string> RestartBoundKeys => s_restartBound;

    /// <summary>Restart-bound settings whose configured value differs from the running one (for status).</summary>
    public IReadOnlyList<string> RestartPending => Volatile.Read(ref _restartPending);

    /// <summary>
    /// A reload: the private key (a changed key file renegotiates every session) and the peers (added, removed and
    /// changed live). Everything is checked before anything changes; problems come back with key paths and the stage
    /// keeps running as it was. Settings in <see cref="RestartBoundKeys"/> are not applied: the host logs each changed
    /// key as needing a restart, and status lists them.
    /// </summary>
    public IReadOnlyList<ConfigurationProblem> Reconfigure(IConfigurationSection settings, IPortRegistry ports)
    {
        var problems = new List<ConfigurationProblem>();
        WireGuardSettings parsed = _readSettings(settings, problems);
        try
        {
            if (problems.Count > 0)
            {
                return problems;
            }

            lock (_applyLock)
            {
                // The file wins over changes made through the UAPI (as `wg syncconf` with the file would): the mark
                // first, so a refusal leaves everything as it was.
                uint markBefore = FirewallMark;
                bool uapiMark = _uapiDeviceChanges.Contains("fwmark");
                if ((parsed.FwMark != 0 || uapiMark) && parsed.FwMark != markBefore && !TrySetFirewallMark(parsed.FwMark, out string? markProblem))
                {
                    if (parsed.FwMark != 0)
                    {
                        return [new($"{settings.Path}:FwMark", $"{markProblem}")];
                    }

                    Log.UapiMarkKept(_logger, Name, markBefore, markProblem!);
                }

                IReadOnlyList<ConfigurationProblem> refused = ApplyPeers(FromSettings(parsed), settings.Path);
                if (refused.Count == 0)
                {
                    Volatile.Write(ref _restartPending, RestartBoundChanges(parsed, settings.Path));
                    RevertedUapiChanges(parsed);
                }
                else if (FirewallMark != markBefore)
                {
                    TrySetFirewallMark(markBefore, out _);
                }

                return refused;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parsed.PrivateKey);
            foreach (PeerSettings peer in parsed.Peers)
            {
                CryptographicOperations.ZeroMemory(peer.PresharedKey);
            }
        }
    }

    /// <summary>
    /// Applies a desired configuration: the single entry point of every runtime change of the stage's device and peers.
    /// The file's reload (<see cref="Reconfigure"/>) passes the private key, the listen port and every peer with every
    /// field and <see cref="PeerConfiguration.ReplacePeers"/>; the UAPI <c>set</c> maps <c>private_key</c>,
    /// <c>listen_port</c>, <c>replace_peers</c>, <c>remove</c>, <c>update_only</c>, <c>replace_allowed_ips</c> and
    /// <c>allowed_ip=-prefix</c> onto <see cref="PeerConfiguration"/> and <see cref="DesiredPeer"/> fields and calls this
    /// with only what its lines name. Checked as a whole first (duplicate keys, name clashes, unusable keys, our own key
    /// as a peer, endpoints that do not resolve, a port that cannot be had): problems come back with their paths
    /// (under <paramref name="path"/>) and nothing changes. Then, in order: the sockets move to a new port, a new
    /// private key renegotiates every session, and the peers change. Called off the data path; calls are serialised.
    /// </summary>
    public IReadOnlyList<ConfigurationProblem> ApplyPeers(PeerConfiguration desired, string path)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var problems = new List<ConfigurationProblem>();
        lock (_applyLock)
        {
            LocalIdentity? newLocal = null;
            List<RemoteIdentity>? rekeyed = null;
            Prepared? prepared = null;
            try
            {
                if (desired.PrivateKey is { } privateKey)
                {
                    using X25519PrivateKey candidate = KeyAgreementAlgorithm.X25519.ImportPrivateKey(privateKey);
                    if (!candidate.PublicKey.SequenceEqual(Local.PublicKey))
                    {
                        newLocal = new LocalIdentity(KeyAgreementAlgorithm.X25519.ImportPrivateKey(privateKey));
                    }
                }

                LocalIdentity local = newLocal ?? Local;
                prepared = Prepare(desired, local, problems);
                if (problems.Count > 0)
                {
                    return problems;
                }

                if (newLocal is not null)
                {
                    // No peer that stays may have the new key (wireguard-go would drop it; a change that says so is refused).
                    foreach (WireGuardPeer peer in Volatile.Read(ref _table).All)
                    {
                        if (!prepared.IsRemoved(peer) && peer.Identity.PublicKey.SequenceEqual(newLocal.PublicKey))
                        {
                            problems.Add(new($"{peer.Configuration.Path}:PublicKey", $"is this node's own public key with the new private key ({path}:PrivateKeyFile); remove the peer or use another key"));
                        }
                    }

                    rekeyed = problems.Count == 0 ? RekeyIdentities(newLocal, prepared, problems) : null;
                    if (problems.Count > 0)
                    {
                        return problems;
                    }
                }

                // A new listen port: the sockets move first (the one step that can still fail on the system).
                if (desired.ListenPort is { } port)
                {
                    int portSetting = _listenPortSetting ?? _settings.ListenPort;
                    if (port != portSetting && port != ListenPort && !TryRebind(port, path, out string? why))
                    {
                        problems.Add(new($"{path}:ListenPort", $"{why}; the stage keeps port {ListenPort}"));
                        return problems;
                    }

                    _listenPortSetting = port;
                }

                if (newLocal is not null)
                {
                    SwapPrivateKey(newLocal, prepared, rekeyed!);
                    newLocal = null; // the stage owns it now
                    rekeyed = null;
                }

                Commit(prepared, path, problems);
                prepared = null;

                // What the handshake thread takes over (a new preshared or private key, a removal) is in place before
                // the caller returns: `wg set` then `wg show` reads what was set.
                if (_loop is { } loop && !loop.Settle(TimeSpan.FromSeconds(5)))
                {
                    Log.ChangeNotSettled(_logger, Name);
                }

                return problems;
            }
            finally
            {
                prepared?.Abandon();
                newLocal?.Dispose();
                if (rekeyed is not null)
                {
                    foreach (RemoteIdentity identity in rekeyed)
                    {
                        identity.Dispose();
                    }
                }
            }
        }
    }

    /// <summary>After a reload: logs each change made through the UAPI that the file has replaced, and forgets them.</summary>
    private void RevertedUapiChanges(WireGuardSettings file)
    {
        var inFile = new HashSet<string>(StringComparer.Ordinal);
        foreach (PeerSettings peer in file.Peers)
        {
            inFile.Add(Convert.ToBase64String(peer.PublicKey));
        }

        foreach ((string key, PeerSource source) in _peerSources)
        {
            string what = source == PeerSource.Uapi
                ? (inFile.Contains(key) ? "added through the UAPI, is now configured by the file" : "added through the UAPI and not in the file: removed")
                : "changed through the UAPI: set back to what the file says";
            Log.UapiReverted(_logger, Name, $"peer {key}", what);
        }

        foreach (string change in _uapiDeviceChanges)
        {
            Log.UapiReverted(_logger, Name, change.StartsWith("peer ", StringComparison.Ordinal) ? change : $"the {change}", "set through the UAPI: set back to what the file says");
        }

        _peerSources.Clear();
        _uapiAdded.Clear();
        _uapiDeviceChanges.Clear();
    }

    /// <summary>A configuration file's peers as a desired configuration: every field set, unnamed peers removed.</summary>
    internal static PeerConfiguration FromSettings(WireGuardSettings settings)
    {
        var peers = new List<DesiredPeer>();
        foreach (PeerSettings peer in settings.Peers)
        {
            peers.Add(new DesiredPeer(peer.Path, peer.PublicKey)
            {
                Name = peer.Name,
                PresharedKey = peer.PresharedKey,
                SetsEndpoint = true,
                Endpoint = peer.Endpoint,
                AllowedIPs = peer.AllowedIPs,
                ReplaceAllowedIPs = true,
                PersistentKeepalive = peer.PersistentKeepalive,
                Groups = peer.Groups,
            });
        }

        return new PeerConfiguration(peers) { ReplacePeers = true, PrivateKey = settings.PrivateKey, ListenPort = settings.ListenPort };
    }

    internal static PeerConfigurationState StateOf(PeerSettings peer) =>
        new(peer.Path, peer.Endpoint, [.. peer.AllowedIPs], peer.PersistentKeepalive, peer.Groups.Count == 0 ? [] : [.. peer.Groups]);

    /// <summary>Subscribes to the registry's change notification (at creation: before any other stage starts, so first).</summary>
    private void Subscribe(IPortRegistry ports)
    {
        _ports = ports;
        ports.PortsChanged += OnPortsChanged;
    }

    private void Unsubscribe()
    {
        if (_ports is not null)
        {
            _ports.PortsChanged -= OnPortsChanged;
        }
    }

    /// <summary>Checks a change and makes what it needs (identities, endpoints) without changing anything running.</summary>
    private Prepared Prepare(PeerConfiguration desired, LocalIdentity local, List<ConfigurationProblem> problems)
    {
        PeerTable table = Volatile.Read(ref _table);
        var running = new List<RunningPeer>(table.All.Length);
        foreach (WireGuardPeer peer in table.All)
        {
            running.Add(new RunningPeer(Convert.ToBase64String(peer.Identity.PublicKey), peer.Name, peer.Identity.PresharedKey.ToArray(), peer.Configuration));
        }

        PeerPlan plan = PeerPlan.Compute(running, desired, NameTaken);
        var prepared = new Prepared(plan, running);
        if (plan.Problems.Count > 0)
        {
            problems.AddRange(plan.Problems);
            return prepared;
        }

        foreach (PlannedPeer peer in plan.Added)
        {
            byte[] key = Convert.FromBase64String(peer.PublicKey);
            if (key.AsSpan().SequenceEqual(local.PublicKey))
            {
                problems.Add(new($"{peer.State.Path}:PublicKey", "is this node's own public key; remove the peer or use another key"));
                continue;
            }

            if (!RemoteIdentity.TryCreate(local, key, peer.PresharedKey, out RemoteIdentity? identity))
            {
                problems.Add(new($"{peer.State.Path}:PublicKey", "is not a usable public key (it yields no shared secret); check the key"));
                continue;
            }

            var ready = new PreparedPeer(peer, identity!);
            prepared.Adds[peer.Name] = ready;
            TryEndpoint(peer.State, problems, out ready.Endpoint);
        }

        foreach ((RunningPeer current, PlannedPeer peer, PeerChange what) in plan.Changed)
        {
            WireGuardPeer running1 = table.ByKey[current.PublicKey];
            var change = new PreparedChange(running1, peer, what);
            prepared.Changes.Add(change);
            if ((what & PeerChange.PresharedKey) != 0)
            {
                if (!RemoteIdentity.TryCreate(local, Convert.FromBase64String(peer.PublicKey), peer.PresharedKey, out change.Identity))
                {
                    problems.Add(new($"{peer.State.Path}:PublicKey", "is not a usable public key (it yields no shared secret); check the key"));
                }
            }

            if ((what & PeerChange.Endpoint) != 0)
            {
                TryEndpoint(peer.State, problems, out change.Endpoint);
            }
        }

        if (problems.Count > 0)
        {
            return prepared;
        }

        foreach (RunningPeer removed in plan.Removed)
        {
            prepared.Removed.Add(table.ByKey[removed.PublicKey]);
        }

        return prepared;
    }

    /// <summary>The owner of a port that has <paramref name="name"/>, unless it is one of our own running peers (the plan judges those).</summary>
    private string? NameTaken(string name)
    {
        if (_ports is null || !_ports.TryFind(name, out PortInfo port))
        {
            return null;
        }

        return PeerFor(port.Id) is { } ours && port.Id.Kind == PortKind.Peer && string.Equals(port.Owner, Name, StringComparison.Ordinal) && ours.Name == port.Name
            ? null
            : $"{(port.Id.Kind == PortKind.Peer ? "a peer of stage" : "interface")} '{(port.Id.Kind == PortKind.Peer ? port.Owner : port.Name)}' ({port.Id})";
    }

    private static bool TryEndpoint(PeerConfigurationState state, List<ConfigurationProblem> problems, out PeerEndpoint? endpoint)
    {
        endpoint = null;
        if (state.Endpoint is null)
        {
            return true;
        }

        if (!WireGuardSettings.TrySplitEndpoint(state.Endpoint, out _, out _, out string? why))
        {
            problems.Add(new($"{state.Path}:Endpoint", why!));
            return false;
        }

        try
        {
            endpoint = new PeerEndpoint(Resolve(state.Endpoint, state.Path), UdpEndpoint.None);
            return true;
        }
        catch (InvalidOperationException ex)
        {
            problems.Add(new($"{state.Path}:Endpoint", ex.Message[(ex.Message.IndexOf("Endpoint: ", StringComparison.Ordinal) + 10)..]));
            return false;
        }
    }

    /// <summary>Every running peer's identity derived from <paramref name="local"/> (for a new private key); null with problems.</summary>
    private List<RemoteIdentity>? RekeyIdentities(LocalIdentity local, Prepared prepared, List<ConfigurationProblem> problems)
    {
        var identities = new List<RemoteIdentity>();
        foreach (WireGuardPeer peer in Volatile.Read(ref _table).All)
        {
            if (prepared.IsRemoved(peer))
            {
                continue;
            }

            PreparedChange? change = prepared.ChangeOf(peer);
            byte[] psk = change?.Planned.PresharedKey ?? peer.Identity.PresharedKey.ToArray();
            bool ok = RemoteIdentity.TryCreate(local, peer.Identity.PublicKey, psk, out RemoteIdentity? identity);
            if (change is null)
            {
                CryptographicOperations.ZeroMemory(psk);
            }

            if (!ok)
            {
                problems.Add(new($"{peer.Configuration.Path}:PublicKey", "yields no shared secret with the new private key; check the key"));
                continue;
            }

            identities.Add(identity!);
        }

        if (problems.Count == 0)
        {
            return identities;
        }

        foreach (RemoteIdentity identity in identities)
        {
            identity.Dispose();
        }

        return null;
    }

    /// <summary>
    /// A new private key, as wireguard-go's SetPrivateKey: our identity and cookie checker change at once, and every peer
    /// that stays gets its identity derived from the new key, loses its handshake under way and can no longer send on
    /// its sessions (the handshake thread does that), so each renegotiates on its next packet.
    /// </summary>
    private void SwapPrivateKey(LocalIdentity local, Prepared prepared, List<RemoteIdentity> identities)
    {
        LocalIdentity oldLocal = Local;
        CookieChecker oldChecker = Checker;
        var checker = new CookieChecker(local);
        var peers = new List<WireGuardPeer>();
        foreach (WireGuardPeer peer in Volatile.Read(ref _table).All)
        {
            if (!prepared.IsRemoved(peer))
            {
                peers.Add(peer);
            }
        }

        Volatile.Write(ref _local, local);
        Volatile.Write(ref _checker, checker);
        foreach (PreparedChange change in prepared.Changes)
        {
            // The rekeyed identity already carries a changed preshared key.
            change.Identity?.Dispose();
            change.Identity = null;
        }

        HandshakeLoop loop = _loop!;
        loop.Post(now =>
        {
            for (int i = 0; i < peers.Count; i++)
            {
                loop.Rekey(peers[i], identities[i], now);
            }

            loop.DisposeLater(oldChecker, now);
            loop.DisposeLater(oldLocal, now);
        });
        Log.PrivateKeyChanged(_logger, Name, WireGuardKey.Format(local.PublicKey), peers.Count);
    }

    /// <summary>Applies a prepared change: the registry (and, through its notification, this stage's table, routing and the runner), then the rest.</summary>
    private void Commit(Prepared prepared, string path, List<ConfigurationProblem> problems)
    {
        PeerPlan plan = prepared.Plan;
        var updates = new List<PeerUpdate>();
        foreach (PreparedChange change in prepared.Changes)
        {
            if ((change.What & (PeerChange.AllowedIPs | PeerChange.Groups)) != 0)
            {
                updates.Add(new PeerUpdate(change.Peer.Port, change.Planned.State.Groups, WireGuardSettings.Networks(change.Planned.State.AllowedIPs), Mtu));
            }
        }

        var adds = new List<PeerRegistration>();
        foreach (PlannedPeer peer in plan.Added)
        {
            adds.Add(new PeerRegistration(peer.Name, peer.State.Groups, WireGuardSettings.Networks(peer.State.AllowedIPs), Mtu));
        }

        var changes = new PeerChanges
        {
            Remove = [.. prepared.Removed.Select(p => p.Port)],
            Update = updates,
            Add = adds,
        };

        if (!changes.IsEmpty)
        {
            _adding = prepared.Adds;
            try
            {
                _ports!.ChangePeers(Name, changes);
            }
            catch (InvalidOperationException ex)
            {
                problems.Add(new(path, $"the router refused the change of peers: {ex.Message}"));
                prepared.Abandon();
                return;
            }
            finally
            {
                _adding = null;
            }
        }

        HandshakeLoop loop = _loop!;
        foreach (PreparedChange change in prepared.Changes)
        {
            WireGuardPeer peer = change.Peer;
            peer.Configuration = change.Planned.State;
            if ((change.What & PeerChange.Endpoint) != 0)
            {
                peer.SetConfiguredEndpoint(change.Endpoint);
            }

            if ((change.What & PeerChange.PersistentKeepalive) != 0)
            {
                long before = peer.PersistentKeepaliveMs;
                peer.SetPersistentKeepalive((long)change.Planned.State.PersistentKeepalive.TotalMilliseconds);
                if (before == 0 && peer.PersistentKeepaliveMs > 0 && peer.Endpoint is not null)
                {
                    loop.Post(now => loop.KeepaliveNow(peer, now));
                }
            }

            if (change.Identity is { } identity)
            {
                change.Identity = null;
                loop.Post(_ => HandshakeLoop.ReplaceIdentity(peer, identity));
            }

            Log.PeerChanged(_logger, Name, peer.Name, change.What.ToString());
        }

        foreach (WireGuardPeer peer in prepared.Removed)
        {
            loop.Post(now => loop.RemovePeer(peer, now));
            Log.PeerRemoved(_logger, Name, peer.Name);
        }

        foreach (PreparedPeer added in prepared.Adds.Values)
        {
            if (added.Peer is { } peer)
            {
                Log.PeerAdded(_logger, Name, peer.Name, peer.Port.ToString(), string.Join(", ", added.Planned.State.AllowedIPs));
                if (peer.PersistentKeepaliveMs > 0 && peer.Endpoint is not null && RequestHandshake(peer))
                {
                    WakeHandshakeThread(); // as on start: a peer with persistent keepalive is reached at once
                }
            }
        }

        prepared.WipeSecrets();
    }

    /// <summary>
    /// The registry changed. For our own change (made in <see cref="Commit"/>): the peers it added become
    /// <see cref="WireGuardPeer"/>s with their ports, the removed ones are marked removed, and the table is swapped — before
    /// any later subscriber (routing, the runner) learns of the change, so a route to a new peer never exists before the
    /// peer does.
    /// </summary>
    private void OnPortsChanged(object? sender, PortsChangedEventArgs e)
    {
        if (!string.Equals(e.Owner, Name, StringComparison.Ordinal) || _adding is not { } adding)
        {
            return;
        }

        PeerTable table = Volatile.Read(ref _table);
        var removed = new HashSet<PortId>();
        foreach (PortInfo port in e.Removed)
        {
            removed.Add(port.Id);
        }

        var peers = new List<WireGuardPeer>();
        foreach (WireGuardPeer peer in table.All)
        {
            if (removed.Contains(peer.Port))
            {
                peer.MarkRemoved();
            }
            else
            {
                peers.Add(peer);
            }
        }

        foreach (PortInfo port in e.Added)
        {
            PreparedPeer ready = adding[port.Name];
            long keepalive = (long)ready.Planned.State.PersistentKeepalive.TotalMilliseconds;
            ready.Peer = new WireGuardPeer(_nextSlot, port.Id, port.Name, ready.Identity!, ready.Endpoint, keepalive) { Configuration = ready.Planned.State };
            ready.Identity = null; // the peer owns it now
            Volatile.Write(ref _nextSlot, _nextSlot + 1);
            peers.Add(ready.Peer);
        }

        Volatile.Write(ref _table, PeerTable.Create(peers));
    }

    private IReadOnlyList<string> RestartBoundChanges(WireGuardSettings next, string path)
    {
        var changed = new List<string>();
        void Check(bool differs, string key)
        {
            if (differs)
            {
                changed.Add($"{path}:{key}");
            }
        }

        Check(!next.ListenAddresses.SequenceEqual(_settings.ListenAddresses), "ListenAddresses");
        Check(next.Sockets != _settings.Sockets, "Sockets");
        Check(next.Mtu != _settings.Mtu, "Mtu");
        Check(next.ReceiveBufferBytes != _settings.ReceiveBufferBytes, "ReceiveBufferBytes");
        Check(next.SendBufferBytes != _settings.SendBufferBytes, "SendBufferBytes");
        Check(next.Gso != _settings.Gso || next.Gro != _settings.Gro, "Offloads");
        Check(next.Namespace != _settings.Namespace, "Namespace");
        Check(next.Aqm != _settings.Aqm, "Aqm");
        return changed;
    }

    /// <summary>A peer about to be added: its plan, identity and endpoint; the peer itself once registered.</summary>
    private sealed class PreparedPeer(PlannedPeer planned, RemoteIdentity identity)
    {
        public PlannedPeer Planned { get; } = planned;

        public RemoteIdentity? Identity { get; set; } = identity;

        public PeerEndpoint? Endpoint;

        public WireGuardPeer? Peer { get; set; }
    }

    /// <summary>A running peer that changes: what changed, and what the change needs made beforehand.</summary>
    private sealed class PreparedChange(WireGuardPeer peer, PlannedPeer planned, PeerChange what)
    {
        public WireGuardPeer Peer { get; } = peer;

        public PlannedPeer Planned { get; } = planned;

        public PeerChange What { get; } = what;

        public RemoteIdentity? Identity;

        public PeerEndpoint? Endpoint;
    }

    /// <summary>A checked change, ready to commit (or to abandon, wiping what it made).</summary>
    private sealed class Prepared(PeerPlan plan, List<RunningPeer> running)
    {
        private HashSet<WireGuardPeer>? _removedSet;
        private Dictionary<WireGuardPeer, PreparedChange>? _changeOf;

        public PeerPlan Plan { get; } = plan;

        public Dictionary<string, PreparedPeer> Adds { get; } = new(StringComparer.OrdinalIgnoreCase);

        public List<PreparedChange> Changes { get; } = [];

        public List<WireGuardPeer> Removed { get; } = [];

        /// <summary>Whether <paramref name="peer"/> is among <see cref="Removed"/> (a set: a hub has thousands of peers).</summary>
        public bool IsRemoved(WireGuardPeer peer)
        {
            if (_removedSet is null || _removedSet.Count != Removed.Count)
            {
                _removedSet = new HashSet<WireGuardPeer>(Removed, ReferenceEqualityComparer.Instance);
            }

            return _removedSet.Contains(peer);
        }

        /// <summary>The change of <paramref name="peer"/>, if the change makes one.</summary>
        public PreparedChange? ChangeOf(WireGuardPeer peer)
        {
            if (_changeOf is null || _changeOf.Count != Changes.Count)
            {
                _changeOf = new Dictionary<WireGuardPeer, PreparedChange>(ReferenceEqualityComparer.Instance);
                foreach (PreparedChange change in Changes)
                {
                    _changeOf[change.Peer] = change;
                }
            }

            return _changeOf.GetValueOrDefault(peer);
        }

        public void Abandon()
        {
            foreach (PreparedPeer add in Adds.Values)
            {
                if (add.Peer is null)
                {
                    add.Identity?.Dispose();
                    add.Identity = null;
                }
            }

            foreach (PreparedChange change in Changes)
            {
                change.Identity?.Dispose();
                change.Identity = null;
            }

            WipeSecrets();
        }

        public void WipeSecrets()
        {
            foreach (RunningPeer peer in running)
            {
                CryptographicOperations.ZeroMemory(peer.PresharedKey);
            }

            foreach (PlannedPeer peer in Plan.Added)
            {
                CryptographicOperations.ZeroMemory(peer.PresharedKey);
            }

            foreach (var (_, planned, _) in Plan.Changed)
            {
                CryptographicOperations.ZeroMemory(planned.PresharedKey);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 520, Level = LogLevel.Information, Message = "WireGuard '{Stage}': peer {Peer} added live as {Port}, allowed IPs {AllowedIPs}")]
        public static partial void PeerAdded(ILogger logger, string stage, string peer, string port, string allowedIPs);

        [LoggerMessage(EventId = 521, Level = LogLevel.Information, Message = "WireGuard '{Stage}': peer {Peer} removed live; its sessions are zeroed and its packets refused")]
        public static partial void PeerRemoved(ILogger logger, string stage, string peer);

        [LoggerMessage(EventId = 522, Level = LogLevel.Information, Message = "WireGuard '{Stage}': peer {Peer} changed live ({What}); its sessions stay")]
        public static partial void PeerChanged(ILogger logger, string stage, string peer, string what);

        [LoggerMessage(EventId = 523, Level = LogLevel.Information, Message = "WireGuard '{Stage}': now listening on port {Port}; the old sockets are closed, sessions stay (peers follow our next packet)")]
        public static partial void Rebound(ILogger logger, string stage, int port);

        [LoggerMessage(EventId = 524, Level = LogLevel.Warning, Message = "WireGuard '{Stage}': reload: {What} {Change} (the file wins over UAPI changes)")]
        public static partial void UapiReverted(ILogger logger, string stage, string what, string change);

        [LoggerMessage(EventId = 525, Level = LogLevel.Warning, Message = "WireGuard '{Stage}': reload: the fwmark {Mark} set through the UAPI is kept although the file sets none: {Reason}")]
        public static partial void UapiMarkKept(ILogger logger, string stage, uint mark, string reason);

        [LoggerMessage(EventId = 526, Level = LogLevel.Warning, Message = "WireGuard '{Stage}': the private key changed; new public key {PublicKey}: the sessions of {Peers} peers stop sending and renegotiate with it")]
        public static partial void PrivateKeyChanged(ILogger logger, string stage, string publicKey, int peers);

        [LoggerMessage(EventId = 527, Level = LogLevel.Warning, Message = "WireGuard '{Stage}': the handshake thread has not taken over a change within 5 s (it is busy or stalled); the change is applied when it gets to it, and a status read before then may show the old value")]
        public static partial void ChangeNotSettled(ILogger logger, string stage);
    }
}
