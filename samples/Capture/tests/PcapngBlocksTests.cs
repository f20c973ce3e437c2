using System.Buffers.Binary;
using System.Text;
using RouterHost.Samples.Capture.Pcapng;

namespace RouterHost.Samples.Capture.Tests;

public sealed class PcapngBlocksTests
{
    [Fact]
    public void Section_header_has_the_magic_version_unknown_length_and_its_length_at_both_ends()
    {
        byte[] block = new byte[256];
        int length = PcapngBlocks.WriteSectionHeader(block, "RouterHost Capture");

        Assert.Equal(PcapngBlocks.SectionHeaderLength("RouterHost Capture"), length);
        Assert.Equal(0, length % 4);
        Assert.Equal(0x0A0D0D0Au, BinaryPrimitives.ReadUInt32LittleEndian(block));
        Assert.Equal((uint)length, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(4)));
        Assert.Equal(0x1A2B3C4Du, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(8)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(12)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(14)));
        Assert.Equal(-1L, BinaryPrimitives.ReadInt64LittleEndian(block.AsSpan(16)));
        Assert.Equal((uint)length, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(length - 4)));
        Assert.Equal(Options(block.AsSpan(24, length - 28)), [(4, "RouterHost Capture"), (0, "")]);
    }

    [Theory]
    [InlineData("tun0", null)]
    [InlineData("a", "interface of LinuxTun")]
    [InlineData("peer-with-a-long-name", "peer of wg")]
    public void Interface_description_is_raw_IP_with_its_name_and_nanosecond_resolution(string name, string? description)
    {
        byte[] block = new byte[256];
        int length = PcapngBlocks.WriteInterfaceDescription(block, name, description, 1500);

        Assert.Equal(PcapngBlocks.InterfaceDescriptionLength(name, description), length);
        Assert.Equal(0, length % 4);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(block));
        Assert.Equal((uint)length, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(4)));
        Assert.Equal(101, BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(8)));
        Assert.Equal(1500u, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(12)));
        Assert.Equal((uint)length, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(length - 4)));
        List<(int Code, string Value)> options = Options(block.AsSpan(16, length - 20));
        Assert.Contains((2, name), options);
        if (description is not null)
        {
            Assert.Contains((3, description), options);
        }

        Assert.Contains((9, "\u0009"), options);
        Assert.Equal((0, ""), options[^1]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(61)]
    public void Enhanced_packet_pads_its_data_and_carries_lengths_timestamp_and_direction(int captured)
    {
        byte[] data = [.. Enumerable.Range(1, captured).Select(i => (byte)i)];
        byte[] block = Enumerable.Repeat((byte)0xEE, 512).ToArray();
        long timestamp = 1_765_000_000_123_456_789;
        int length = PcapngBlocks.WriteEnhancedPacket(block, 3, timestamp, data, 1400, CaptureDirection.Outbound);

        Assert.Equal(PcapngBlocks.EnhancedPacketLength(captured), length);
        Assert.Equal(0, length % 4);
        Assert.Equal(6u, BinaryPrimitives.ReadUInt32LittleEndian(block));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(8)));
        ulong stamp = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(12)) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(16));
        Assert.Equal((ulong)timestamp, stamp);
        Assert.Equal((uint)captured, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(20)));
        Assert.Equal(1400u, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(24)));
        Assert.Equal(data, block.AsSpan(28, captured).ToArray());
        int padded = PcapngBlocks.Pad4(captured);
        Assert.All(block.AsSpan(28 + captured, padded - captured).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(28 + padded)));
        Assert.Equal(4, BinaryPrimitives.ReadUInt16LittleEndian(block.AsSpan(30 + padded)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(32 + padded)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(36 + padded)));
        Assert.Equal((uint)length, BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(length - 4)));
        Assert.Equal(0xEE, block[length]);
    }

    // The options of a block: code and value (as UTF-8 text), each padded to 32 bits, ending with opt_endofopt.
    private static List<(int Code, string Value)> Options(ReadOnlySpan<byte> options)
    {
        var list = new List<(int, string)>();
        int at = 0;
        while (at < options.Length)
        {
            int code = BinaryPrimitives.ReadUInt16LittleEndian(options[at..]);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(options[(at + 2)..]);
            list.Add((code, Encoding.UTF8.GetString(options.Slice(at + 4, length))));
            Assert.All(options.Slice(at + 4 + length, PcapngBlocks.Pad4(length) - length).ToArray(), b => Assert.Equal(0, b));
            at += 4 + PcapngBlocks.Pad4(length);
            if (code == 0)
            {
                break;
            }
        }

        Assert.Equal(options.Length, at);
        return list;
    }
}
