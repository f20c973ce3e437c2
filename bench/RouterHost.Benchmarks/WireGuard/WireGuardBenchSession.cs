using System.Net;
using System.Net.Sockets;
using RouterHost.Crypto;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.Benchmarks.WireGuard;

/// <summary>
/// A WireGuard stage on loopback with one peer and an established session (made with the real handshake, both sides
/// in this process), the peer's half of the session to make inbound traffic with, and a sink socket the stage sends to.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class WireGuardBenchSession : IDisposable
{
    private readonly LocalIdentity _remote = new(KeyAgreementAlgorithm.X25519.GenerateKey());

    /// <param name="sockets">The stage's sockets (lane <c>i</c> sends on socket <c>i</c>).</param>
    /// <param name="sinkReceiveBuffer">The sink's receive buffer in bytes, or 0 for the system's default.</param>
    public WireGuardBenchSession(int sockets = 1, int sinkReceiveBuffer = 0)
    {
        Sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        if (sinkReceiveBuffer > 0)
        {
            Sink.ReceiveBufferSize = sinkReceiveBuffer;
        }

        Sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Stage = LoopbackStage.Create(WireGuardKey.Format(_remote.PublicKey), ((IPEndPoint)Sink.LocalEndPoint!).Port, ["10.5.0.0/16"], sockets: sockets);
        Peer = Stage.Peers[0];

        (Session, RemoteSession) = LoopbackStage.Establish(Stage, Peer, _remote);

        // The stage's clock stands still from here: a long (or slowed) run never ages the session past its 180 s, after
        // which every packet would be an expired-session drop and the benchmark would measure the drop path.
        long now = Stage.Now;
        Stage.Clock = () => now;
    }

    public WireGuardStage Stage { get; }

    public WireGuardPeer Peer { get; }

    public Keypair Session { get; }

    /// <summary>The peer's half: seals what the stage receives.</summary>
    public Keypair RemoteSession { get; }

    public Socket Sink { get; }

    public UdpEndpoint SinkEndpoint => UdpEndpoint.Create((IPEndPoint)Sink.LocalEndPoint!);

    /// <summary>Writes a transport message from the peer carrying an IPv4 packet of <paramref name="length"/> bytes.</summary>
    public int SealFromPeer(Span<byte> destination, int length)
    {
        Span<byte> packet = destination.Slice(MessageLayout.TransportHeaderSize, length);
        packet.Clear();
        packet[0] = 0x45;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)length);
        packet[9] = 17;
        return Seal(RemoteSession, destination, length);
    }

    /// <summary>
    /// Makes the transport message that <paramref name="remoteSession"/>'s owner sends for the IP packet of
    /// <paramref name="length"/> bytes already at <paramref name="message"/>[16..]: padded as a 1420-byte MTU asks,
    /// header written, sealed in place on the session's next counter. Returns the message's length.
    /// </summary>
    public static int Seal(Keypair remoteSession, Span<byte> message, int length)
    {
        int padding = MessageLayout.PaddingFor(length, 1420);
        message.Slice(MessageLayout.TransportHeaderSize + length, padding).Clear();
        remoteSession.TryReserveCounter(out ulong counter);
        MessageLayout.WriteTransportHeader(message, remoteSession.RemoteIndex, counter);
        int total = MessageLayout.TransportHeaderSize + length + padding + MessageLayout.TagSize;
        AeadAlgorithm.ChaCha20Poly1305.Seal(remoteSession.SendKey, counter, message[MessageLayout.TransportHeaderSize..total], default);
        return total;
    }

    public void Dispose()
    {
        Stage.Dispose();
        RemoteSession.Dispose();
        _remote.Dispose();
        Sink.Dispose();
    }
}
