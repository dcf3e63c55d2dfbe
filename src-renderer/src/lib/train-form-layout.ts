// Where each TrainConfig field sits in the Train view: the advanced form's sections, and which
// input shows a field (its kind in the tables of training-config). The time budget sits above
// the Start button, outside the sections.
import type { TrainConfig } from '../../../src-main/api/contract';
import { BOOLEAN_FIELDS, CHOICE_FIELDS, NUMBER_FIELDS, type BooleanField, type ChoiceField, type NumberField } from './train-form';

export interface FormSection {
  legend: string;
  fields: (keyof TrainConfig)[];
  /** one field a row (long choice labels, the folder list) */
  wide?: boolean;
}

export const FORM_SECTIONS: readonly FormSection[] = [
  { legend: 'Encoder', fields: ['arch', 'stem', 'widthMultiplier', 'inputSize', 'dim', 'mlpHead'] },
  { legend: 'Contrastive dictionary', fields: ['dictionary', 'K', 'm', 'T', 'bnGroups', 'symmetric'] },
  { legend: 'Data', fields: ['augmentation', 'folderIds'], wide: true },
  { legend: 'Optimisation', fields: ['batchSize', 'epochs', 'lr', 'schedule', 'lrSteps', 'sgdMomentum', 'weightDecay'] },
  { legend: 'Run', fields: ['seed', 'knnEvery', 'checkpointMinutes'] },
];

export const isNumberField = (f: keyof TrainConfig): f is NumberField => f in NUMBER_FIELDS;
export const isChoiceField = (f: keyof TrainConfig): f is ChoiceField => f in CHOICE_FIELDS;
export const isBooleanField = (f: keyof TrainConfig): f is BooleanField => f in BOOLEAN_FIELDS;
