using System.Reflection;

namespace BitFusion.Tools.Tests;

/// <summary>
/// Object sizes on 64-bit .NET computed from the layout rules, independently of the runtime's own figures:
/// an object is an 8-byte header word and an 8-byte MethodTable pointer followed by its fields (references
/// 8 bytes, primitives their size; auto layout packs them largest first), rounded up to 8 bytes, at least 24;
/// an array is header, MethodTable pointer and an 8-byte length slot followed by its elements, rounded up to 8.
/// </summary>
internal static class ObjectLayout
{
    private const int HeaderAndMethodTable = 16;
    private const int MinObject = 24;

    public static long Instance(Type type)
    {
        long fields = 0;
        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (FieldInfo f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                fields += FieldSize(f.FieldType);
        return Math.Max(MinObject, HeaderAndMethodTable + RoundUp(fields));
    }

    public static long Array(string elementType, int length) =>
        RoundUp(HeaderAndMethodTable + 8 + (long)length * ElementSize(elementType));

    private static long FieldSize(Type t)
    {
        if (!t.IsValueType) return 8;
        if (t.IsEnum) t = Enum.GetUnderlyingType(t);
        return Type.GetTypeCode(t) switch
        {
            TypeCode.Boolean or TypeCode.Byte or TypeCode.SByte => 1,
            TypeCode.Char or TypeCode.Int16 or TypeCode.UInt16 => 2,
            TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Single => 4,
            TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Double => 8,
            _ => throw new NotSupportedException($"field of struct type {t} needs its own layout rule"),
        };
    }

    private static int ElementSize(string name) => name switch
    {
        "Byte" or "SByte" or "Boolean" => 1,
        "Int16" or "UInt16" or "Char" => 2,
        "Int32" or "UInt32" or "Single" => 4,
        "Int64" or "UInt64" or "Double" => 8,
        _ => throw new NotSupportedException($"array of {name}"),
    };

    private static long RoundUp(long bytes) => (bytes + 7) & ~7L;
}
