// C struct names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;
using RouterHost.Linux;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>BPF_PROG_TEST_RUN: the kernel runs a loaded XDP program once on a frame and says what it returned.</summary>
internal static unsafe class BpfTestRun
{
    private const int BPF_PROG_TEST_RUN = 10;

    public static int Run(SafeFileDescriptor program, byte[] frame)
    {
        bool added = false;
        try
        {
            program.DangerousAddRef(ref added);
            fixed (byte* data = frame)
            {
                var attr = new bpf_attr_test { prog_fd = (uint)program.Fd, data_size_in = (uint)frame.Length, data_in = (ulong)data, repeat = 1 };
                if (Interop.Bpf.bpf(BPF_PROG_TEST_RUN, ref attr) < 0)
                {
                    throw LinuxException.FromLast("BPF_PROG_TEST_RUN");
                }

                return (int)attr.retval;
            }
        }
        finally
        {
            if (added)
            {
                program.DangerousRelease();
            }
        }
    }

    /// <summary>union bpf_attr for BPF_PROG_TEST_RUN (offsets checked with offsetof against linux/bpf.h).</summary>
    [StructLayout(LayoutKind.Explicit, Size = Interop.Bpf.BpfAttrSize)]
    private struct bpf_attr_test
    {
        [FieldOffset(0)]
        public uint prog_fd;

        [FieldOffset(4)]
        public uint retval;

        [FieldOffset(8)]
        public uint data_size_in;

        [FieldOffset(12)]
        public uint data_size_out;

        [FieldOffset(16)]
        public ulong data_in;

        [FieldOffset(24)]
        public ulong data_out;

        [FieldOffset(32)]
        public uint repeat;
    }
}
