// The typed-array kinds the runtime carries (wire codec, batch records, message schemas): each kind's
// name, its array type and its class, declared once.

/** Typed-array element kinds by name, with the array each decodes to. */
export interface TypedArrayKinds {
  int8: Int8Array;
  uint8: Uint8Array;
  uint8clamped: Uint8ClampedArray;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  float32: Float32Array;
  float64: Float64Array;
  bigint64: BigInt64Array;
  biguint64: BigUint64Array;
}
export type TypedArrayKind = keyof TypedArrayKinds;
/** Any of the typed arrays above. */
export type TypedArray = TypedArrayKinds[TypedArrayKind];

/** The class of each kind. */
export const TYPED_ARRAY_CLASSES = {
  int8: Int8Array,
  uint8: Uint8Array,
  uint8clamped: Uint8ClampedArray,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
  bigint64: BigInt64Array,
  biguint64: BigUint64Array,
} as const satisfies {
  [K in TypedArrayKind]: abstract new (...args: never[]) => TypedArrayKinds[K];
};
