using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp.Tests;

public sealed class EthernetFrameTests
{
    [Fact]
    public void The_header_written_for_sending_reads_back_as_destination_source_and_ethertype()
    {
        var frame = new byte[64];
        frame.AsSpan().Fill(0xEE);
        EthernetFrame.WriteHeader(frame, Frames.PeerMac, Frames.LocalMac, EthernetFrame.EthertypeIPv6);
        Assert.Equal(new byte[] { 0x06, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x86, 0xDD }, frame[..14]);
        Assert.All(frame[14..], b => Assert.Equal(0xEE, b));
        Assert.Equal(Frames.PeerMac, EthernetFrame.ReadMac(frame));
        Assert.Equal("06:aa:bb:cc:dd:ee", EthernetFrame.Format(Frames.PeerMac));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_valid_frame_yields_its_IP_packets_length(bool ipv6)
    {
        byte[] packet = ipv6 ? Frames.Ipv6Packet(77) : Frames.Ipv4Packet(77);
        byte[] frame = Frames.Ethernet(packet, ipv6 ? EthernetFrame.EthertypeIPv6 : EthernetFrame.EthertypeIPv4, padding: 9);
        Assert.Equal(DropReason.None, EthernetFrame.TryDecode(frame, Frames.LocalMac, out int length));
        Assert.Equal(packet.Length, length);
    }

    [Fact]
    public void Random_frames_are_refused_or_yield_a_packet_inside_the_frame_and_never_throw()
    {
        Gen<byte[]> frames = Gen.OneOf(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)),
            // Mostly well-formed: a real frame with some bytes changed and a random length.
            from v6 in Gen.Elements(false, true)
            from cut in Gen.Choose(0, 120)
            from flips in Gen.ArrayOf(Gen.Choose(0, 119).Zip(Gen.Choose(0, 255)))
            select Mutate(v6 ? Frames.Ipv6Frame(60) : Frames.Ipv4Frame(60), cut, flips));
        Prop.ForAll(frames.ToArbitrary(), frame =>
        {
            DropReason reason = EthernetFrame.TryDecode(frame, Frames.LocalMac, out int length);
            if (!reason.IsNone)
            {
                return length == 0 && reason.Name.StartsWith("afxdp.rx.", StringComparison.Ordinal);
            }

            int version = frame[14] >> 4;
            ushort ethertype = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
            return length >= 20 && 14 + length <= frame.Length
                && ((ethertype == 0x0800 && version == 4) || (ethertype == 0x86DD && version == 6 && length >= 40));
        }).QuickCheckThrowOnFailure();
    }

    private static byte[] Mutate(byte[] frame, int cut, (int Index, int Value)[] flips)
    {
        foreach ((int index, int value) in flips)
        {
            if (index < frame.Length)
            {
                frame[index] = (byte)value;
            }
        }

        return frame[..Math.Min(cut, frame.Length)];
    }
}
