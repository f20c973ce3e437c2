using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RouterHost.Crypto;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Tests.Protocol;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// The protocol code alone (no stage, no router) against Debian's wireguard-go: a handshake each way and an ICMP echo
/// through the session, over a plain UDP socket on the namespace's loopback. If these pass, our Noise, MACs, KDF, key
/// encoding and transport framing match the reference implementation byte for byte.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class ProtocolInteropTests
{
    private static readonly IPAddress PeerAddress = IPAddress.Parse("10.77.0.1");
    private static readonly IPAddress OurAddress = IPAddress.Parse("10.77.0.2");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Our_initiation_is_answered_by_wireguard_go_and_a_ping_through_the_session_is_answered(bool withPsk)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using NetworkNamespace ns = NetworkNamespace.Create("wgproto");
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(ns, 51820, ["10.77.0.1/24"]);
        using var local = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        byte[] psk = withPsk ? HandshakeTests.Psk() : [];
        peer.SetPeer(WireGuardKey.Format(local.PublicKey), "10.77.0.2/32", presharedKey: withPsk ? WireGuardKey.Format(psk) : null);

        using Socket socket = ns.Run(() => Bound());
        var remote = new IPEndPoint(IPAddress.Loopback, 51820);
        Span<byte> peerKey = stackalloc byte[32];
        Assert.True(WireGuardKey.TryParse(peer.PublicKey, peerKey, out _));
        Assert.True(RemoteIdentity.TryCreate(local, peerKey, psk, out RemoteIdentity? identity));
        using RemoteIdentity remoteIdentity = identity!;
        using var handshake = new Handshake();
        using var cookies = new CookieGenerator(remoteIdentity);

        var initiation = new byte[MessageLayout.InitiationSize];
        Assert.True(NoiseHandshake.CreateInitiation(local, remoteIdentity, handshake, 0xabcdef01, DateTimeOffset.UtcNow, initiation));
        cookies.AddMacs(initiation, Environment.TickCount64);
        socket.SendTo(initiation, remote);

        byte[] response = Receive(socket, peer);
        Assert.Equal(MessageType.Response, MessageLayout.TypeOf(response));
        Assert.Equal(MessageLayout.ResponseSize, response.Length);
        Assert.Equal(0xabcdef01u, BinaryPrimitives.ReadUInt32LittleEndian(response.AsSpan(MessageLayout.ResponseReceiverOffset)));
        using var checker = new CookieChecker(local);
        Assert.True(checker.CheckMac1(response), "wireguard-go's MAC1 over its response, keyed with our public key");
        Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.TryConsumeResponse(local, remoteIdentity, handshake, response));
        using Keypair keypair = NoiseHandshake.DeriveKeypair(handshake, Environment.TickCount64)!;

        PingThrough(socket, remote, keypair, peer);
    }

    [Fact]
    public void An_initiation_from_wireguard_go_is_accepted_and_our_response_completes_its_handshake()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using NetworkNamespace ns = NetworkNamespace.Create("wgproto");
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(ns, 51821, ["10.77.0.1/24"]);
        using var local = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        using Socket socket = ns.Run(() => Bound());
        int ourPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        peer.SetPeer(WireGuardKey.Format(local.PublicKey), "10.77.0.2/32", endpoint: $"127.0.0.1:{ourPort}");

        // A ping to our side makes wireguard-go initiate.
        ExecResult? result = null;
        var ping = new Thread(() => result = ns.Exec(TimeSpan.FromSeconds(20), "ping", "-c", "1", "-W", "10", OurAddress.ToString()));
        ping.Start();
        byte[] initiation = Receive(socket, peer);
        Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf(initiation));
        using var checker = new CookieChecker(local);
        Assert.True(checker.CheckMac1(initiation));

        Span<byte> peerKey = stackalloc byte[32];
        Assert.True(WireGuardKey.TryParse(peer.PublicKey, peerKey, out _));
        Assert.True(RemoteIdentity.TryCreate(local, peerKey, [], out RemoteIdentity? identity));
        using RemoteIdentity remoteIdentity = identity!;
        var pending = new PendingInitiation();
        Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.TryOpenInitiation(local, initiation, pending));
        Assert.True(pending.RemoteStaticKey.SequenceEqual(peerKey));
        using var handshake = new Handshake();
        Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.TryAcceptInitiation(pending, remoteIdentity, handshake, initiation, Environment.TickCount64));
        var response = new byte[MessageLayout.ResponseSize];
        Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.CreateResponse(remoteIdentity, handshake, 0x01020304, response));
        using var cookies = new CookieGenerator(remoteIdentity);
        cookies.AddMacs(response, Environment.TickCount64);
        using Keypair keypair = NoiseHandshake.DeriveKeypair(handshake, Environment.TickCount64)!;
        socket.SendTo(response, new IPEndPoint(IPAddress.Loopback, 51821));

        // wireguard-go now sends the echo request (its first transport message confirms the session); answer it.
        while (true)
        {
            byte[] message = Receive(socket, peer);
            if (MessageLayout.TypeOf(message) != MessageType.Transport)
            {
                continue; // a retransmitted initiation
            }

            Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(4)));
            ulong counter = BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(8));
            Span<byte> body = message.AsSpan(MessageLayout.TransportHeaderSize);
            Assert.True(AeadAlgorithm.ChaCha20Poly1305.Open(keypair.ReceiveKey, counter, body, default));
            Assert.True(keypair.Replay.TryAccept(counter));
            Span<byte> plaintext = body[..^16];
            if (plaintext.Length == 0)
            {
                continue; // keepalive
            }

            Assert.Equal(0x45, plaintext[0]);
            Assert.Equal(8, plaintext[20]); // echo request
            ushort id = BinaryPrimitives.ReadUInt16BigEndian(plaintext[24..]);
            ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(plaintext[26..]);
            int total = BinaryPrimitives.ReadUInt16BigEndian(plaintext[2..]);
            byte[] reply = Icmp.Echo(OurAddress, PeerAddress, request: false, id, sequence, total - 28);
            plaintext.Slice(28, total - 28).CopyTo(reply.AsSpan(28));
            FixIcmpChecksum(reply);
            socket.SendTo(Seal(keypair, reply), new IPEndPoint(IPAddress.Loopback, 51821));
            break;
        }

        ping.Join();
        Assert.True(result!.Succeeded, $"ping through wireguard-go: {result.StdOut} {result.StdErr}\n{peer.Log}");
        Assert.NotEqual(0, peer.LatestHandshake(WireGuardKey.Format(local.PublicKey)));
    }

    private static void PingThrough(Socket socket, IPEndPoint remote, Keypair keypair, WireGuardGoPeer peer)
    {
        byte[] request = Icmp.EchoRequest(OurAddress, PeerAddress, 0x4242, 1);
        socket.SendTo(Seal(keypair, request), remote);
        while (true)
        {
            byte[] message = Receive(socket, peer);
            Assert.Equal(MessageType.Transport, MessageLayout.TypeOf(message));
            Assert.Equal(keypair.LocalIndex, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(4)));
            ulong counter = BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(8));
            Span<byte> body = message.AsSpan(MessageLayout.TransportHeaderSize);
            Assert.True(AeadAlgorithm.ChaCha20Poly1305.Open(keypair.ReceiveKey, counter, body, default), "transport from wireguard-go decrypts");
            Assert.True(keypair.Replay.TryAccept(counter));
            Span<byte> plaintext = body[..^16];
            if (plaintext.Length == 0)
            {
                continue;
            }

            Assert.Equal(0, plaintext.Length % 16); // padded to 16
            Assert.True(Icmp.IsEchoReply(plaintext, PeerAddress, 0x4242, 1), Convert.ToHexString(plaintext));
            return;
        }
    }

    private static byte[] Seal(Keypair keypair, byte[] packet)
    {
        int padded = packet.Length + MessageLayout.PaddingFor(packet.Length, 1420);
        var message = new byte[MessageLayout.TransportHeaderSize + padded + 16];
        Assert.True(keypair.TryReserveCounter(out ulong counter));
        MessageLayout.WriteTransportHeader(message, keypair.RemoteIndex, counter);
        packet.CopyTo(message, MessageLayout.TransportHeaderSize);
        AeadAlgorithm.ChaCha20Poly1305.Seal(keypair.SendKey, counter, message.AsSpan(MessageLayout.TransportHeaderSize), default);
        return message;
    }

    private static void FixIcmpChecksum(byte[] packet)
    {
        packet[22] = 0;
        packet[23] = 0;
        uint sum = 0;
        for (int i = 20; i + 1 < packet.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
        }

        if ((packet.Length - 20) % 2 == 1)
        {
            sum += (uint)packet[^1] << 8;
        }

        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), (ushort)~sum);
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 15_000;
        return socket;
    }

    private static byte[] Receive(Socket socket, WireGuardGoPeer peer)
    {
        var buffer = new byte[2048];
        try
        {
            int n = socket.Receive(buffer);
            return buffer[..n];
        }
        catch (SocketException ex)
        {
            throw new Xunit.Sdk.XunitException($"no datagram from wireguard-go ({ex.SocketErrorCode}); its log:\n{peer.Log}");
        }
    }
}
