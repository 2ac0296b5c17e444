// Resolves tensor names to the addon's tensor references, shared by every architecture definition.
// A weight is quantized exactly when `<path>.scales` exists; its mode, bits and group size come from the per-module
// override in config.json, else the global quantization block, and must agree with the tensor shapes.
import { checkQuantParams, type ModelConfig, type QuantParams } from './config.js';
import { MissingTensorError, ModelFormatError, UnsupportedModelError } from './errors.js';
import type { NativeDType, NativeTensorRef, PlanTensor } from './plan.js';
import type { TensorInfo } from './safetensors.js';

const FLOAT_DTYPES: readonly NativeDType[] = ['F32', 'F16', 'BF16'];


export class WeightResolver {
  /**
   * @param table every tensor of the model by name
   * @param configFile path of config.json (named in quantization errors)
   * @param weightsLabel how missing-tensor errors name the weight files
   */
  constructor(
    private readonly table: Map<string, TensorInfo>,
    private readonly config: ModelConfig,
    private readonly configFile: string,
    private readonly weightsLabel: string,
  ) {}

  has(name: string): boolean {
    return this.table.has(name);
  }

  private info(name: string): TensorInfo {
    const info = this.table.get(name);
    if (!info) throw new MissingTensorError(this.weightsLabel, name);
    return info;
  }

  private ref(info: TensorInfo, allowed: readonly NativeDType[]): NativeTensorRef {
    if (!(allowed as readonly string[]).includes(info.dtype)) {
      throw new UnsupportedModelError(
        info.file,
        `tensor '${info.name}' dtype '${info.dtype}' is not supported (supported: ${allowed.join(', ')})`,
      );
    }
    return {
      name: info.name,
      file: info.file,
      offset: info.offset,
      byteLength: info.byteLength,
      dtype: info.dtype as NativeDType,
      shape: info.shape,
    };
  }

  private checkShape(info: TensorInfo, expected: number[]): void {
    if (info.shape.length !== expected.length || info.shape.some((d, i) => d !== expected[i])) {
      throw new ModelFormatError(
        info.file,
        `tensor '${info.name}' has shape [${info.shape.join(', ')}], expected [${expected.join(', ')}] from config.json`,
      );
    }
  }

  /** A float tensor (norm weight, Linear bias) of the given shape. */
  tensor(name: string, shape: number[]): NativeTensorRef {
    const info = this.info(name);
    const ref = this.ref(info, FLOAT_DTYPES);
    this.checkShape(info, shape);
    return ref;
  }

  optionalTensor(name: string, shape: number[]): NativeTensorRef | undefined {
    return this.has(name) ? this.tensor(name, shape) : undefined;
  }

  /**
   * A Linear or Embedding weight with logical shape [rows, cols] = [out, in]: float, MLX affine (U32 codes +
   * `.scales` + `.biases`) or mxfp4 (U32 codes + U8 `.scales`, no biases).
   */
  linear(path: string, rows: number, cols: number): PlanTensor {
    const weightInfo = this.info(`${path}.weight`);
    const scalesInfo = this.table.get(`${path}.scales`);
    if (!scalesInfo) {
      const weight = this.ref(weightInfo, FLOAT_DTYPES);
      this.checkShape(weightInfo, [rows, cols]);
      return weight;
    }
    const weight = this.ref(weightInfo, ['U32']);
    const { bits, groupSize, mode } = this.quantParams(path, weightInfo, scalesInfo, rows, cols);
    this.checkShape(weightInfo, [rows, (cols * bits) / 32]);
    this.checkShape(scalesInfo, [rows, cols / groupSize]);
    if (mode === 'mxfp4') {
      return { ...weight, quant: { mode, bits, groupSize, scales: this.ref(scalesInfo, ['U8']) } };
    }
    // Affine: `.biases` is the per-group offset of the quantization (never the Linear `.bias`).
    const biasesInfo = this.info(`${path}.biases`);
    this.checkShape(biasesInfo, [rows, cols / groupSize]);
    const quant = { mode, bits, groupSize, scales: this.ref(scalesInfo, FLOAT_DTYPES), biases: this.ref(biasesInfo, FLOAT_DTYPES) };
    return { ...weight, quant };
  }

  /**
   * Stacked expert weights (MLX SwitchLinear, `<path>.weight` [experts, rows, cols]): float, or quantized with codes
   * [experts, rows, cols*bits/32] and scales/biases [experts, rows, cols/group_size]. Returned as one table entry with
   * 3-D shapes; the addon splits it per expert.
   */
  experts(path: string, experts: number, rows: number, cols: number): PlanTensor {
    const weightInfo = this.info(`${path}.weight`);
    const scalesInfo = this.table.get(`${path}.scales`);
    if (!scalesInfo) {
      const weight = this.ref(weightInfo, FLOAT_DTYPES);
      this.checkShape(weightInfo, [experts, rows, cols]);
      return weight;
    }
    const weight = this.ref(weightInfo, ['U32']);
    const flat = (info: TensorInfo): TensorInfo => {
      if (info.shape.length !== 3 || info.shape[0] !== experts || info.shape[1] !== rows) {
        throw new ModelFormatError(
          info.file,
          `tensor '${info.name}' has shape [${info.shape.join(', ')}], expected [${experts}, ${rows}, packed columns] (stacked quantized experts) from config.json`,
        );
      }
      return { ...info, shape: [info.shape[0]! * info.shape[1]!, info.shape[2]!] };
    };
    // The quantization of E stacked [rows, cols] matrices is that of one [E*rows, cols] matrix.
    const { bits, groupSize, mode } = this.quantParams(path, flat(weightInfo), flat(scalesInfo), experts * rows, cols);
    this.checkShape(weightInfo, [experts, rows, (cols * bits) / 32]);
    this.checkShape(scalesInfo, [experts, rows, cols / groupSize]);
    if (mode === 'mxfp4') {
      return { ...weight, quant: { mode, bits, groupSize, scales: this.ref(scalesInfo, ['U8']) } };
    }
    const biasesInfo = this.info(`${path}.biases`);
    this.checkShape(biasesInfo, [experts, rows, cols / groupSize]);
    const quant = { mode, bits, groupSize, scales: this.ref(scalesInfo, FLOAT_DTYPES), biases: this.ref(biasesInfo, FLOAT_DTYPES) };
    return { ...weight, quant };
  }

  private quantParams(path: string, weightInfo: TensorInfo, scalesInfo: TensorInfo, rows: number, cols: number): QuantParams {
    const packedCols = weightInfo.shape[1] ?? 0;
    const scaleCols = scalesInfo.shape[1] ?? 0;
    if (weightInfo.shape.length !== 2 || weightInfo.shape[0] !== rows || packedCols === 0 || scaleCols === 0) {
      throw new ModelFormatError(
        weightInfo.file,
        `tensor '${weightInfo.name}' has shape [${weightInfo.shape.join(', ')}], expected [${rows}, packed columns] for a quantized [${rows}, ${cols}] weight`,
      );
    }
    // What the shapes say (MLX checks weight_cols * 32 / bits == scale_cols * group_size); E8M0 scales mean mxfp4.
    const shapeBits = (32 * packedCols) / cols;
    const shapeGroup = cols / scaleCols;
    const shapeMode = scalesInfo.dtype === 'U8' ? 'mxfp4' : 'affine';
    const configured = this.configuredQuant(path);
    const field = configured.field;
    if (configured.params === false) {
      throw new ModelFormatError(this.configFile, `${field} is false but tensor '${path}.scales' exists`);
    }
    const params = configured.params ?? { bits: shapeBits, groupSize: shapeGroup, mode: shapeMode };
    if (!Number.isInteger(shapeBits) || !Number.isInteger(shapeGroup) || shapeBits !== params.bits || shapeGroup !== params.groupSize) {
      // Report an unsupported width before a mismatch so that e.g. a 7-bit model names its bit width.
      checkQuantParams(params.mode, params.bits, params.groupSize, field, this.configFile);
      throw new ModelFormatError(
        weightInfo.file,
        `tensor '${path}' shapes imply bits ${shapeBits} and group_size ${shapeGroup}, but ${field} says bits ${params.bits} and group_size ${params.groupSize}`,
      );
    }
    if (shapeMode !== params.mode) {
      throw new ModelFormatError(
        scalesInfo.file,
        `tensor '${path}.scales' dtype ${scalesInfo.dtype} does not fit ${field}.mode ${params.mode} (${params.mode === 'mxfp4' ? 'U8' : 'float'} scales expected)`,
      );
    }
    checkQuantParams(params.mode, params.bits, params.groupSize, field, this.configFile);
    return params;
  }

  private configuredQuant(path: string): { params: QuantParams | false | undefined; field: string } {
    const q = this.config.quantization;
    if (!q) return { params: undefined, field: 'quantization' };
    const override = q.overrides.get(path);
    if (override !== undefined) return { params: override, field: `quantization.${path}` };
    return { params: q.global, field: 'quantization' };
  }
}
