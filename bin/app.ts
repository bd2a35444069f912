#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildExampleApp } from './stacks';

const app = new App();
buildExampleApp(app, { certificateArn: app.node.tryGetContext('certificateArn') });
app.synth();
