using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using RouterHost.Linux.Namespaces;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// Finds the test classes that need root but do not say so: classes whose code — their own methods, lambdas, async
/// state machines, the fixtures they take, and every method of the test assembly or of this library they call, however
/// deep — reaches the namespace helpers (<see cref="NetworkNamespace.Create"/>, <see cref="NamespacePair"/>,
/// <see cref="VethPair"/>), <see cref="Requires"/> or <see cref="UnprivilegedUser"/>, and carry no
/// <see cref="NeedsRootAttribute"/>. It reads the compiled IL, so it sees what the tests call, not what their text says.
/// </summary>
public static class NeedsRootAudit
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly HashSet<Type> RootTypes = [typeof(NamespacePair), typeof(VethPair), typeof(Requires), typeof(UnprivilegedUser)];

    /// <summary>The full names of <paramref name="tests"/>' test classes that reach the helpers without the trait.</summary>
    public static IReadOnlyList<string> ClassesMissingTheTrait(Assembly tests)
    {
        ArgumentNullException.ThrowIfNull(tests);
        var reaches = new Dictionary<MethodBase, bool>();
        var missing = new List<string>();
        foreach (Type type in tests.GetTypes().Where(IsTestClass))
        {
            if (type.GetCustomAttribute<NeedsRootAttribute>() is null && ClassReachesRoot(type, reaches))
            {
                missing.Add(type.FullName ?? type.Name);
            }
        }

        return missing;
    }

    private static bool IsTestClass(Type type) =>
        type is { IsClass: true, IsAbstract: false }
        && !type.IsDefined(typeof(CompilerGeneratedAttribute))
        && type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Any(m => m.IsDefined(typeof(FactAttribute), inherit: true));

    private static bool ClassReachesRoot(Type type, Dictionary<MethodBase, bool> reaches)
    {
        IEnumerable<MethodBase> code = OwnCode(type);

        // Fixtures xunit builds for the class (IClassFixture<T>, constructor parameters) run for it too.
        IEnumerable<Type> fixtures = type.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IClassFixture<>))
            .Select(i => i.GetGenericArguments()[0])
            .Concat(type.GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.ParameterType));
        code = code.Concat(fixtures.SelectMany(OwnCode));
        return code.Any(m => Reaches(m, reaches, 0));
    }

    // A type's methods and constructors with those of the types nested in it (lambdas, closures, state machines).
    private static IEnumerable<MethodBase> OwnCode(Type type)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return type.GetMethods(All).Cast<MethodBase>()
            .Concat(type.GetConstructors(All))
            .Concat(type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(OwnCode));
    }

    private static bool Reaches(MethodBase method, Dictionary<MethodBase, bool> reaches, int depth)
    {
        if (reaches.TryGetValue(method, out bool known))
        {
            return known;
        }

        reaches[method] = false; // a cycle adds nothing
        bool result = depth < 64 && Callees(method).Any(callee => IsRoot(callee) || (IsOurs(callee, method) && ReachesWithNested(callee, reaches, depth + 1)));
        reaches[method] = result;
        return result;
    }

    // A call into a method whose work happens in a state machine or a lambda of its type counts that code too.
    private static bool ReachesWithNested(MethodBase callee, Dictionary<MethodBase, bool> reaches, int depth) =>
        Reaches(callee, reaches, depth)
        || (callee.DeclaringType is { } owner && owner.GetNestedTypes(BindingFlags.NonPublic)
            .Where(n => n.IsDefined(typeof(CompilerGeneratedAttribute)))
            .SelectMany(OwnCode)
            .Any(m => Reaches(m, reaches, depth)));

    private static bool IsRoot(MethodBase callee) =>
        callee.DeclaringType is { } type
        && (RootTypes.Contains(type) || (type == typeof(NetworkNamespace) && callee.Name.StartsWith("Create", StringComparison.Ordinal)));

    // Calls worth following: into the test assembly itself or into this library (its fixtures).
    private static bool IsOurs(MethodBase callee, MethodBase caller) =>
        callee.Module == caller.Module || callee.Module == typeof(NeedsRootAudit).Module;

    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception e) when (e is InvalidOperationException or BadImageFormatException)
        {
            yield break;
        }

        if (il is null)
        {
            yield break;
        }

        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            if (!OpCodesByValue.TryGetValue(value, out OpCode op))
            {
                yield break;
            }

            i += op.Size;
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? callee = null;
                try
                {
                    callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArguments, methodArguments);
                }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException)
                {
                    // A member of an assembly this run does not load: not one of ours.
                }

                if (callee is not null)
                {
                    yield return callee;
                }
            }

            i += OperandSize(op, il, i);
        }
    }

    private static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
