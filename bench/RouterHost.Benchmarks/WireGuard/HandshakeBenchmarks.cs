using BenchmarkDotNet.Attributes;
using RouterHost.Crypto;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.Benchmarks.WireGuard;

/// <summary>
/// The handshake's three steps as the handshake thread runs them, beside one X25519 agreement (the baseline: each step
/// is mostly agreements — creating an initiation does two plus a key generation, answering one does four plus a key
/// generation, reading the response two). A whole handshake (both sides) bounds handshakes per second per core.
/// </summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private LocalIdentity _a = null!;
    private LocalIdentity _b = null!;
    private RemoteIdentity _bAtA = null!;
    private RemoteIdentity _aAtB = null!;
    private readonly Handshake _initiator = new();
    private readonly Handshake _responder = new();
    private readonly PendingInitiation _pending = new();
    private readonly byte[] _initiation = new byte[MessageLayout.InitiationSize];
    private readonly byte[] _response = new byte[MessageLayout.ResponseSize];
    private readonly byte[] _shared = new byte[32];
    private readonly Handshake _replayState = new();
    private long _now = 1_000;

    [GlobalSetup]
    public void Setup()
    {
        _a = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        _b = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        RemoteIdentity.TryCreate(_a, _b.PublicKey, [], out RemoteIdentity? bAtA);
        RemoteIdentity.TryCreate(_b, _a.PublicKey, [], out RemoteIdentity? aAtB);
        _bAtA = bAtA!;
        _aAtB = aAtB!;
        NoiseHandshake.CreateInitiation(_a, _bAtA, _initiator, 1, DateTimeOffset.UtcNow, _initiation);
        NoiseHandshake.TryOpenInitiation(_b, _initiation, _pending);
        NoiseHandshake.TryAcceptInitiation(_pending, _aAtB, _responder, _initiation, 1);
        NoiseHandshake.CreateResponse(_aAtB, _responder, 2, _response);
    }

    [Benchmark(Baseline = true)]
    public bool X25519_Agree() => KeyAgreementAlgorithm.X25519.Agree(_a.PrivateKey, _b.PublicKey, _shared);

    [Benchmark]
    public bool Initiator_CreateInitiation() => NoiseHandshake.CreateInitiation(_a, _bAtA, _initiator, 1, DateTimeOffset.UtcNow, _initiation);

    [Benchmark]
    public HandshakeOutcome Responder_ConsumeInitiation_CreateResponse()
    {
        NoiseHandshake.TryOpenInitiation(_b, _initiation, _pending);
        _replayState.Dispose(); // forget the last timestamp, so the same initiation is accepted again
        NoiseHandshake.TryAcceptInitiation(_pending, _aAtB, _replayState, _initiation, _now += 100);
        HandshakeOutcome outcome = NoiseHandshake.CreateResponse(_aAtB, _replayState, 2, _response);
        NoiseHandshake.DeriveKeypair(_replayState, _now)?.Dispose();
        return outcome;
    }

    /// <summary>A whole handshake, both sides: what one handshake costs the two nodes together.</summary>
    [Benchmark]
    public HandshakeOutcome Both_sides_whole_handshake()
    {
        NoiseHandshake.CreateInitiation(_a, _bAtA, _initiator, 1, DateTimeOffset.UtcNow, _initiation);
        NoiseHandshake.TryOpenInitiation(_b, _initiation, _pending);
        _replayState.Dispose();
        NoiseHandshake.TryAcceptInitiation(_pending, _aAtB, _replayState, _initiation, _now += 100);
        NoiseHandshake.CreateResponse(_aAtB, _replayState, 2, _response);
        HandshakeOutcome outcome = NoiseHandshake.TryConsumeResponse(_a, _bAtA, _initiator, _response);
        NoiseHandshake.DeriveKeypair(_initiator, _now)?.Dispose();
        return outcome;
    }
}
